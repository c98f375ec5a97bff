#import <UIKit/UIKit.h>

// adjacent literals are one string
static NSString *const kLink = @"itms-services://?action=download-manifest"
                               @"&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist";
