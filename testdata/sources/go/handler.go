package ota

import (
	"fmt"
	"net/http"
	"net/url"
)

// Install redirects the phone to the install link of the build.
func Install(w http.ResponseWriter, r *http.Request) {
	manifest := "https://ota.acme-apps.io/field/manifest.plist"
	link := fmt.Sprintf("itms-services://?action=download-manifest&url=%s", url.QueryEscape(manifest))
	http.Redirect(w, r, link, http.StatusFound)
}
