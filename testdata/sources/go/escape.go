package ota

// a \u0026 escape is an ampersand
var Link = "itms-services://?action=download-manifest\u0026url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist"
