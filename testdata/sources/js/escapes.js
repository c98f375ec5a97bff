// JSON-style escapes in a string are the same characters.
location.assign("itms-services:\/\/?action=download-manifest\u0026url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist");
