"""The jobs app: the page, its JavaScript, the job-state store and the slow work (all scaffolding).

When the learner's files are imported on their own (by the checker, a shell, the worker before
its fix-up ran) nothing has set Django up yet, so importing this app does it.
"""

from workshop.channels_support import ensure_django

ensure_django("jobsite.settings")
