// The bbolt adapter builds offline against Debian's Go sources:
// golang-github-coreos-bbolt-dev installs bbolt 1.3.6 under
// /usr/share/gocode/src/go.etcd.io/bbolt and golang-golang-x-sys-dev
// golang.org/x/sys beside it (scripts/setup installs both). The replace lines
// point there, so no module is ever downloaded (CMake builds with
// GOPROXY=off); a directory replacement needs no go.sum entry.
module crashlab/engines/bbolt

go 1.19

require go.etcd.io/bbolt v1.3.6

require golang.org/x/sys v0.3.0 // indirect

replace go.etcd.io/bbolt => /usr/share/gocode/src/go.etcd.io/bbolt

replace golang.org/x/sys => /usr/share/gocode/src/golang.org/x/sys
