{
  "targets": [
    {
      "target_name": "unixsock",
      "sources": ["src/unixsock.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
