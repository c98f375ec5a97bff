// Links.h: the install link, shared by the app and its extension.
static NSString *const kInstallLink = @"itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist";
