{
  "targets": [
    {
      "target_name": "netprobe",
      "sources": ["src/netprobe.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "libraries": ["-lpthread"]
    }
  ]
}
