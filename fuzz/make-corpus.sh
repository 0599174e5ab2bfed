#!/usr/bin/env bash
# Regenerates the seed corpora in fuzz/corpus/<target>/ from the repository's own test inputs
# (policies, profiles) and from tiny archives built here (tars, docker-archive, oci-archive).
# The output is committed; run this again after adding test inputs, then review `git status`.
# Needs python3 (tarfile, for hostile member names no tar tool writes) and an rpod binary for
# the BPF seeds: RPOD=path/to/rpod (default: target/release/rpod, built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus
rpod=${RPOD:-target/release/rpod}
if [ ! -x "$rpod" ]; then
  echo "make-corpus: building $rpod (cargo build --release)"
  cargo build --release --quiet -p rpod
fi

rm -rf "$out"
mkdir -p "$out"/{policy,profile,bpf,unpack,load}

# policy: the DSL's test corpus and every kafel block of docs/kafel.md.
for f in kafel-dsl/tests/corpus/*.kafel kafel-dsl/tests/corpus/lib/*.policy; do
  cp "$f" "$out/policy/$(basename "$f")"
done
python3 - "$out/policy" <<'EOF'
import re, sys
text = open("docs/kafel.md").read()
for i, m in enumerate(re.finditer(r"```kafel\n(.*?)```", text, re.S)):
    open(f"{sys.argv[1]}/docs-kafel-{i:02}.kafel", "w").write(m.group(1))
EOF

# profile: the default profile, the test fixtures, and the policies' OCI JSON.
cp profiles/data/default.json "$out/profile/rpod-default.json"
for f in profiles/tests/fixtures/*.json; do
  cp "$f" "$out/profile/$(basename "$f")"
done
for f in kafel-dsl/tests/corpus/{actions,expressions_json,first_match,policies_and_use}.kafel; do
  "$rpod" seccomp compile "$f" -o "$out/profile/$(basename "$f" .kafel).json" 2>/dev/null
done

# bpf: what `compile --format bpf` writes for policies (rpod's own program) and profiles
# (libseccomp's, and runc's with its ENOSYS stub).
for f in kafel-dsl/tests/corpus/{actions,arch_guard,expressions,first_match,multi_arch,x32_open}.kafel; do
  "$rpod" seccomp compile "$f" --format bpf -o "$out/bpf/$(basename "$f" .kafel).bpf" 2>/dev/null
done
for f in profiles/tests/fixtures/lint-{dangerous,namespaces}.json; do
  "$rpod" seccomp compile "$f" --format bpf --runtime none -o "$out/bpf/$(basename "$f" .json)-libseccomp.bpf" 2>/dev/null
  "$rpod" seccomp compile "$f" --format bpf --runtime runc -o "$out/bpf/$(basename "$f" .json)-runc.bpf" 2>/dev/null
done
printf '\x06\x00\x00\x00\x00\x00\xff\x7f' >"$out/bpf/ret-allow.bpf"

# unpack and load: tiny layers, plain and hostile, and image archives that hold them.
python3 - "$out" <<'EOF'
import gzip, hashlib, io, json, sys, tarfile

out = sys.argv[1]

def tar(entries, fmt=tarfile.GNU_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for e in entries:
            info = tarfile.TarInfo(e["name"])
            info.type = e.get("type", tarfile.REGTYPE)
            info.mode = e.get("mode", 0o755 if info.type == tarfile.DIRTYPE else 0o644)
            info.mtime = 1700000000
            info.linkname = e.get("link", "")
            info.pax_headers = e.get("pax", {})
            data = e.get("data", b"")
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            t.addfile(info, io.BytesIO(data) if info.size else None)
    # tarfile pads to 10 KiB records; two zero blocks end an archive, the rest only slows fuzzing.
    b = buf.getvalue().rstrip(b"\0")
    return b + b"\0" * (-len(b) % 512 + 1024)

D, F, S, L, C, B, FIFO = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE
rootfs = [
    {"name": "bin/", "type": D, "mode": 0o755},
    {"name": "bin/sh", "data": b"#!/bin/true\n", "mode": 0o755},
    {"name": "etc/", "type": D, "mode": 0o755},
    {"name": "etc/passwd", "data": b"root:x:0:0:root:/root:/bin/sh\n"},
    {"name": "usr/bin/", "type": D, "mode": 0o755},
    {"name": "usr/bin/env", "type": L, "link": "bin/sh"},
    {"name": "lib", "type": S, "link": "usr/lib"},
]
layers = {
    "rootfs": rootfs,
    "whiteouts": [{"name": "etc/", "type": D}, {"name": "etc/.wh.passwd"}, {"name": "usr/.wh..wh..opq"}],
    "dotdot": [{"name": "../outside/escape", "data": b"x"}],
    "absolute": [{"name": "/etc/hostname", "data": b"x"}],
    "symlink-escape": [{"name": "evil", "type": S, "link": "../outside"}, {"name": "evil/canary", "data": b"x"}],
    "symlink-root": [{"name": "evil", "type": S, "link": "/"}, {"name": "evil/etc/passwd", "data": b"x"}],
    "hardlink-escape": [{"name": "shadow", "type": L, "link": "../outside/canary"}],
    "hardlink-absolute": [{"name": "shadow", "type": L, "link": "/etc/shadow"}],
    "devices": [{"name": "null", "type": C}, {"name": "disk", "type": B}, {"name": "fifo", "type": FIFO}],
    "setuid": [{"name": "su", "data": b"x", "mode": 0o4755}, {"name": "tmp/", "type": D, "mode": 0o1777}],
    "long-name": [{"name": "d/" * 80 + "f", "data": b"x"}],
    "pax": [{"name": "p", "data": b"x", "pax": {"path": "pax-name", "SCHILY.xattr.user.k": "v", "SCHILY.xattr.trusted.overlay.opaque": "y"}}],
}
for name, entries in layers.items():
    fmt = tarfile.PAX_FORMAT if name == "pax" else tarfile.GNU_FORMAT
    open(f"{out}/unpack/{name}.tar", "wb").write(tar(entries, fmt))
open(f"{out}/unpack/rootfs.tar.gz", "wb").write(gzip.compress(tar(rootfs), mtime=0))

def sha(b):
    return hashlib.sha256(b).hexdigest()

def image(layer):
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(layer)]},
    }).encode()
    return config

def docker_archive(layer, tags=("fuzz:latest",)):
    config = image(layer)
    manifest = json.dumps([{"Config": sha(config) + ".json", "RepoTags": list(tags), "Layers": ["layer/layer.tar"]}]).encode()
    return tar([
        {"name": "manifest.json", "data": manifest},
        {"name": sha(config) + ".json", "data": config},
        {"name": "layer/", "type": D},
        {"name": "layer/layer.tar", "data": layer},
    ])

def oci_archive(layer, gz=False, name="fuzz"):
    blob = gzip.compress(layer, mtime=0) if gz else layer
    config = image(layer)
    mt = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz else "")
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(config), "size": len(config)},
        "layers": [{"mediaType": mt, "digest": "sha256:" + sha(blob), "size": len(blob)}],
    }).encode()
    index = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(manifest), "size": len(manifest),
                       "annotations": {"org.opencontainers.image.ref.name": name}}],
    }).encode()
    return tar([
        {"name": "oci-layout", "data": b'{"imageLayoutVersion":"1.0.0"}'},
        {"name": "index.json", "data": index},
        {"name": "blobs/", "type": D},
        {"name": "blobs/sha256/", "type": D},
        {"name": "blobs/sha256/" + sha(config), "data": config},
        {"name": "blobs/sha256/" + sha(manifest), "data": manifest},
        {"name": "blobs/sha256/" + sha(blob), "data": blob},
    ])

small = tar(rootfs[:4])
open(f"{out}/load/docker-archive.tar", "wb").write(docker_archive(small))
open(f"{out}/load/docker-archive.tar.gz", "wb").write(gzip.compress(docker_archive(small), mtime=0))
open(f"{out}/load/oci-archive.tar", "wb").write(oci_archive(small))
open(f"{out}/load/oci-archive-gzip-layer.tar", "wb").write(oci_archive(small, gz=True))
open(f"{out}/load/docker-archive-hostile-layer.tar", "wb").write(docker_archive(tar(layers["symlink-escape"])))
open(f"{out}/load/docker-archive-dotdot-member.tar", "wb").write(tar([
    {"name": "manifest.json", "data": b'[{"Config":"../c.json","RepoTags":["x"],"Layers":["/etc/passwd"]}]'},
]))
EOF
# As a real tool writes one: skopeo's docker-archive links each layer.tar to the blob.
if command -v skopeo >/dev/null; then
  skopeo copy -q oci-archive:"$out/load/oci-archive.tar" docker-archive:"$out/load/skopeo-docker-archive.tar":fuzz:latest
else
  echo "make-corpus: skopeo not found; the skopeo-written docker-archive seed is left out" >&2
fi

echo "make-corpus: $(find "$out" -type f | wc -l) seeds, $(du -sh "$out" | cut -f1):"
for t in "$out"/*/; do echo "  $(basename "$t"): $(ls "$t" | wc -l)"; done
