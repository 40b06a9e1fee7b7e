"""The Documents list: search, a filter by state, sorting and pages.

A page shows PER_PAGE documents, so a workspace with thousands of them costs one page of rows,
a count and one GROUP BY over its documents (measured in bench/documents_list.py).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.http import QueryDict

from documents.models import Document
from tenants import access
from tenants.http import TenantRequest

PER_PAGE = 25
Status = Document.Status
SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "newest": ("Newest first", ("-created", "-pk")),
    "oldest": ("Oldest first", ("created", "pk")),
    "title": ("Title, A to Z", (Lower("title"), "pk")),
    "-title": ("Title, Z to A", (Lower("title").desc(), "-pk")),
    "pages": ("Most pages", ("-page_count", "-pk")),
}
DEFAULT_SORT = "newest"


class ListForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(required=False, label="State")
    sort = forms.ChoiceField(
        required=False, label="Sort", choices=[(key, label) for key, (label, _) in SORTS.items()]
    )

    def __init__(self, *args: Any, counts: Mapping[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        total = sum(counts.values())
        self.fields["status"].choices = [("", f"All states ({total:,})")] + [
            (value, f"{label} ({counts.get(value, 0):,})") for value, label in Status.choices
        ]

    def value(self, name: str) -> str:
        """The field's cleaned value; a value that does not validate counts as not given."""
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get(name) or ""


@dataclass
class Listing:
    form: ListForm
    page: Page
    counts: dict[str, int]  # documents by status, the whole workspace
    state: dict[str, str]  # the query, filter, sort and page shown, to fetch the same rows again

    @property
    def filtered(self) -> bool:
        return bool(self.state["q"] or self.state["status"])

    @property
    def query(self) -> QueryDict:
        """The state as a query string's parameters, without the defaults (for the pager's links)."""
        query = QueryDict(mutable=True)
        for name, value in self.state.items():
            if value and name != "page" and not (name == "sort" and value == DEFAULT_SORT):
                query[name] = value
        return query


def status_counts(documents: QuerySet[Document]) -> dict[str, int]:
    rows = documents.order_by().values_list("status").annotate(n=Count("pk"))
    return dict(rows)  # type: ignore[arg-type]


def listing(request: TenantRequest, data: Mapping[str, Any]) -> Listing:
    """One page of the workspace's documents, as `data` (q, status, sort, page) asks."""
    documents = access.documents(request)
    counts = status_counts(documents)
    form = ListForm(data, counts=counts)
    q, status, sort = form.value("q").strip(), form.value("status"), form.value("sort") or DEFAULT_SORT
    if q:
        documents = documents.filter(Q(title__icontains=q) | Q(original_name__icontains=q))
    if status:
        documents = documents.filter(status=status)
    documents = documents.select_related(None).select_related("tenant").order_by(*SORTS[sort][1])
    page = Paginator(documents, PER_PAGE).get_page(data.get("page"))
    for document in page.object_list:
        document.can_write = access.can_write_document(request, document)  # type: ignore[attr-defined]
    state = {"q": q, "status": status, "sort": sort, "page": str(page.number)}
    return Listing(form, page, counts, state)
