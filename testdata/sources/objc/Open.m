#import <UIKit/UIKit.h>

void OpenInstall(void) {
    NSURL *url = [NSURL URLWithString:@"itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist"];
    [[UIApplication sharedApplication] openURL:url options:@{} completionHandler:nil];
}
