import 'package:url_launcher/url_launcher.dart';

Future<void> openRaw() => launchUrl(Uri.parse(r'itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist'));
