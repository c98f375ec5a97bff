from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/api/install/<build>")
def install_link(build):
    manifest = f"https://ota.acme-apps.io/{build}/manifest.plist"
    return jsonify(url=f"itms-services://?action=download-manifest&url={manifest}")
