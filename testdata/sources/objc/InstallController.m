#import "InstallController.h"

@implementation InstallController

- (void)install:(NSString *)manifest {
    NSString *encoded = [manifest stringByAddingPercentEncodingWithAllowedCharacters:[NSCharacterSet alphanumericCharacterSet]];
    NSString *link = [NSString stringWithFormat:@"itms-services://?action=download-manifest&url=%@", encoded];
    [[UIApplication sharedApplication] openURL:[NSURL URLWithString:link] options:@{} completionHandler:nil];
}

@end
