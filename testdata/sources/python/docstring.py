"""Install links for the field build.

The link must look like itms-services://?action=download-manifest&amp;url=… in the HTML page;
this module builds the plain one.
"""
from urllib.parse import quote


def install_link(manifest):
    """Return the install link for a manifest URL (e.g. itms-services://?url=x)."""
    return "itms-services://?action=download-manifest&url=" + quote(manifest, safe="")
