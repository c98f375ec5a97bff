#import <UIKit/UIKit.h>

void OpenDouble(void) {
    NSURL *url = [NSURL URLWithString:@"itms-services://?action=download-manifest&url=https%253A%252F%252Fota.acme-apps.io%252Ffield%252Fmanifest.plist"];
    [[UIApplication sharedApplication] openURL:url options:@{} completionHandler:nil];
}
