<?php
// JSON API for the mobile portal: the value is used as a URL as is.
function installResponse(): string {
    return json_encode(['install' => 'itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist']);
}
