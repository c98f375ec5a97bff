import sys

# print the link for the support ticket
def main(host):
    print("itms-services://?action=download-manifest&url=http://%s/field/manifest.plist" % host)


if __name__ == "__main__":
    main(sys.argv[1])
