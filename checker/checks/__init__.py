"""One module of checks per lesson: ``exNN_slug.py`` (see ``checker/AUTHORING.md``)."""
