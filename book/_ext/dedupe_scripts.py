"""Sphinx extension: add each script to a page once.

sphinx-thebe 0.3.1 (which Jupyter Book 1 always loads) registers its inline configuration
script, ``const THEBE_JS_URL = ...``, once per time its ``env-before-read-docs`` handler runs,
and that can be twice in one build. A second ``const`` declaration is a SyntaxError in the
browser ("Identifier 'THEBE_JS_URL' has already been declared") on every page. Keeping only
the first copy of each identical script removes the cause.
"""

from __future__ import annotations


def _key(script):
    # The copies differ only in their filename: None once, "" the other time.
    attributes = tuple(sorted(getattr(script, "attributes", {}).items()))
    return (getattr(script, "filename", None) or "", attributes)


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    # First: Sphinx emits html-page-context with emit_firstresult, so a handler that returns
    # a template name stops the later ones. The duplicates are already in the context then.
    app.connect("html-page-context", _dedupe, priority=1)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
