from urllib.parse import quote

from django.http import HttpResponseRedirect


def install(request, build):
    """Send the phone to the install link of a build."""
    manifest = request.build_absolute_uri(build.manifest_path)
    return HttpResponseRedirect(
        "itms-services://?action=download-manifest&url=" + quote(manifest, safe="")
    )
