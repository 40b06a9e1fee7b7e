"""Every workspace gets its default assistant, holding the instructions and chat model that were
the workspace's own settings (cut into blocks of at most 500 characters)."""

from django.db import migrations

BLOCK_CHARS = 500


def split_instructions(text, size=BLOCK_CHARS):
    # A frozen copy of assistants.models.split_instructions, as it was when this migration was written.
    blocks = []
    for paragraph in (p.strip() for p in text.replace('\r\n', '\n').split('\n\n')):
        rest, pieces = paragraph, []
        while len(rest) > size:
            cut = rest.rfind(' ', 0, size + 1)
            cut = cut if cut > 0 else size
            pieces.append(rest[:cut].strip())
            rest = rest[cut:].strip()
        if rest:
            pieces.append(rest)
        for piece in pieces:
            if blocks and len(blocks[-1]) + 2 + len(piece) <= size:
                blocks[-1] += '\n\n' + piece
            else:
                blocks.append(piece)
    return blocks


def create_defaults(apps, schema_editor):
    Tenant = apps.get_model('tenants', 'Tenant')
    Assistant = apps.get_model('assistants', 'Assistant')
    InstructionBlock = apps.get_model('assistants', 'InstructionBlock')
    for tenant in Tenant.objects.exclude(assistants__is_default=True):
        assistant = Assistant.objects.create(
            tenant=tenant, is_default=True, name='Assistant', model=tenant.default_model
        )
        InstructionBlock.objects.bulk_create(
            InstructionBlock(assistant=assistant, position=i, text=text)
            for i, text in enumerate(split_instructions(tenant.assistant_instructions or ''))
        )


def restore_settings(apps, schema_editor):
    """Back: the default assistant's switched-on blocks and model become the workspace's again."""
    Assistant = apps.get_model('assistants', 'Assistant')
    for assistant in Assistant.objects.filter(is_default=True).select_related('tenant'):
        blocks = assistant.instruction_blocks.filter(enabled=True).order_by('position', 'id')
        tenant = assistant.tenant
        tenant.assistant_instructions = '\n\n'.join(b.text for b in blocks)[:2000]
        tenant.default_model = assistant.model
        tenant.save(update_fields=['assistant_instructions', 'default_model'])


class Migration(migrations.Migration):
    dependencies = [
        ('assistants', '0001_initial'),
        ('tenants', '0003_teams'),
    ]

    operations = [migrations.RunPython(create_defaults, restore_settings)]
