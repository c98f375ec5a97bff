import 'package:url_launcher/url_launcher.dart';

Future<void> open() => launchUrl(Uri.parse('itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist'));
