import 'package:url_launcher/url_launcher.dart';

Future<void> openHttp(String host) =>
    launchUrl(Uri.parse('itms-services://?action=download-manifest&url=http://$host/manifest.plist'));
