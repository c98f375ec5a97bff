import 'package:url_launcher/url_launcher.dart';

Future<void> install(String manifest) async {
  final link = 'itms-services://?action=download-manifest&url=${Uri.encodeComponent(manifest)}';
  await launchUrl(Uri.parse(link));
}
