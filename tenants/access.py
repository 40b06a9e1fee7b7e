"""The one tenant-scoped access path: one helper per object type.

Views never call `Model.objects.get` on tenant data themselves. Each helper takes
the request (whose tenant the middleware resolved) and an opaque id, and raises
404 for anything outside that tenant, exactly as for something that does not exist.
"""
