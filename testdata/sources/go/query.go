package ota

import "net/http"

func Signed(w http.ResponseWriter, r *http.Request) {
	// the manifest's own query is not encoded: iOS takes X-Amz-Signature as the link's
	http.Redirect(w, r, "itms-services://?action=download-manifest&url=https://acme-builds.s3.amazonaws.com/field/manifest.plist?X-Amz-Date=20261120T090000Z&X-Amz-Signature=9f2c", http.StatusFound)
}
