"""Stand-in of awsglue.utils: getResolvedOptions as Glue documents it (--name value pairs)."""


def getResolvedOptions(argv, options):
    found = {}
    for name in options:
        flag = "--" + name
        if flag not in argv or argv.index(flag) + 1 >= len(argv):
            raise SystemExit("argument %s is required" % flag)
        found[name] = argv[argv.index(flag) + 1]
    return found
