package ota

import "net/http"

func Link(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Location", "itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist")
	w.WriteHeader(http.StatusFound)
}
