//! End-to-end tests of image storage (issue 4): import, load, list, tag, inspect and rmi of a
//! busybox image built here from Debian's busybox-static; docker-archive, oci-archive and OCI
//! layouts (built in Rust, and by skopeo when it is installed); hostile tarballs; whiteouts
//! through a real overlay mount; killed and concurrent imports.
//!
//! Needs root (owners, device nodes, `trusted.*` xattrs, overlay mounts) and `/bin/busybox`.
//! Each test says so through `rpod_tests::require`, so `RPOD_TEST_REQUIRE=all` (CI) turns a
//! skip into a failure. Every test works in its own temporary store.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rpod::image::{self, ImageError, ImportOptions, LoadOptions, Removal, UnpackError};
use rpod::storage::{Digest, Store};
use serde_json::json;
use tempfile::TempDir;

fn needs_root() -> bool {
    rpod_tests::require("root", rustix::process::geteuid().is_root())
}

fn busybox_binary() -> Option<Vec<u8>> {
    let path = Path::new("/bin/busybox");
    if !rpod_tests::require("busybox", path.is_file()) {
        return None;
    }
    Some(fs::read(path).expect("cannot read /bin/busybox"))
}

struct Env {
    dir: TempDir,
    store: Store,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().expect("cannot create a temporary dir");
        let store = Env::open_in(dir.path());
        Env { dir, store }
    }

    fn open_in(dir: &Path) -> Store {
        Store::open(&dir.join("root"), &dir.join("run")).expect("cannot open the store")
    }

    fn import(&self, tar: &[u8], name: Option<&str>) -> Result<image::Image, ImageError> {
        let opts = ImportOptions {
            reference: name.map(str::to_owned),
            ..ImportOptions::default()
        };
        image::import(&self.store, &mut &tar[..], &opts)
    }

    fn assert_consistent(&self) {
        let problems = self.store.check().expect("cannot check the store");
        assert!(problems.is_empty(), "inconsistent store: {problems:#?}");
    }
}

/// A tar written entry by entry, owned by root, names written raw (as a hostile archive would:
/// the tar crate's own setters refuse `..`).
struct Tar {
    b: tar::Builder<Vec<u8>>,
}

impl Tar {
    fn new() -> Tar {
        Tar {
            b: tar::Builder::new(Vec::new()),
        }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        h
    }

    fn raw(mut self, mut h: tar::Header, name: &str, link: Option<&str>, data: &[u8]) -> Tar {
        assert!(
            name.len() < 100 && link.is_none_or(|l| l.len() < 100),
            "name too long for the test tar"
        );
        let gnu = h.as_gnu_mut().expect("a GNU header");
        gnu.name = [0; 100];
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            gnu.linkname = [0; 100];
            gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        h.set_cksum();
        self.b
            .append(&h, data)
            .expect("cannot append to the test tar");
        self
    }

    fn dir(self, name: &str, mode: u32) -> Tar {
        self.raw(
            Tar::header(tar::EntryType::Directory, mode, 0),
            name,
            None,
            &[],
        )
    }

    fn file(self, name: &str, data: &[u8]) -> Tar {
        let h = Tar::header(tar::EntryType::Regular, 0o644, data.len() as u64);
        self.raw(h, name, None, data)
    }

    fn symlink(self, name: &str, target: &str) -> Tar {
        self.raw(
            Tar::header(tar::EntryType::Symlink, 0o777, 0),
            name,
            Some(target),
            &[],
        )
    }

    fn hardlink(self, name: &str, target: &str) -> Tar {
        self.raw(
            Tar::header(tar::EntryType::Link, 0o644, 0),
            name,
            Some(target),
            &[],
        )
    }

    fn char_device(self, name: &str, major: u32, minor: u32) -> Tar {
        let mut h = Tar::header(tar::EntryType::Char, 0o666, 0);
        h.set_device_major(major).expect("major");
        h.set_device_minor(minor).expect("minor");
        self.raw(h, name, None, &[])
    }

    fn finish(self) -> Vec<u8> {
        self.b.into_inner().expect("cannot finish the test tar")
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).expect("gzip");
    gz.finish().expect("gzip")
}

/// A busybox root filesystem: the static binary, an absolute symlink per applet where
/// `busybox --list-full` puts it, `/etc/passwd` and `/etc/group`.
fn busybox_rootfs(busybox: &[u8]) -> Vec<u8> {
    let list = Command::new("/bin/busybox")
        .arg("--list-full")
        .output()
        .expect("cannot run busybox --list-full");
    let applets = String::from_utf8(list.stdout).expect("applet list is UTF-8");
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |kind: tar::EntryType, path: &str, mode: u32, data: &[u8], link: Option<&str>| {
        let mut h = Tar::header(kind, mode, data.len() as u64);
        if let Some(link) = link {
            b.append_link(&mut h, path, link).expect("append link");
        } else {
            b.append_data(&mut h, path, data).expect("append");
        }
    };
    for (dir, mode) in [
        ("bin", 0o755),
        ("sbin", 0o755),
        ("usr", 0o755),
        ("usr/bin", 0o755),
        ("usr/sbin", 0o755),
        ("etc", 0o755),
        ("dev", 0o755),
        ("proc", 0o555),
        ("sys", 0o555),
        ("root", 0o700),
        ("tmp", 0o1777),
        ("var", 0o755),
    ] {
        add(tar::EntryType::Directory, dir, mode, &[], None);
    }
    add(tar::EntryType::Regular, "bin/busybox", 0o755, busybox, None);
    for applet in applets
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "bin/busybox")
    {
        add(
            tar::EntryType::Symlink,
            applet,
            0o777,
            &[],
            Some("/bin/busybox"),
        );
    }
    add(
        tar::EntryType::Regular,
        "etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        None,
    );
    add(
        tar::EntryType::Regular,
        "etc/group",
        0o644,
        b"root:x:0:\nnogroup:x:65534:\n",
        None,
    );
    b.into_inner().expect("finish the rootfs tar")
}

fn host_arch() -> String {
    image::host_platform().1.to_string()
}

/// The members of an archive or layout: (path, content).
type Files = Vec<(String, Vec<u8>)>;

/// The members of an OCI image layout holding one image made of `blobs` (each a layer as
/// stored: tar or tar+gzip) whose uncompressed tars are `tars`.
fn oci_layout(blobs: &[Vec<u8>], tars: &[Vec<u8>], ref_name: Option<&str>) -> Files {
    let mut files = vec![(
        "oci-layout".to_owned(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    )];
    let mut blob = |data: Vec<u8>| -> (Digest, usize) {
        let d = Digest::of_bytes(&data);
        let n = data.len();
        files.push((format!("blobs/sha256/{}", d.hex()), data));
        (d, n)
    };
    let config = json!({
        "created": "2024-01-02T03:04:05Z",
        "architecture": host_arch(),
        "os": "linux",
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin:/usr/bin"], "Labels": {"b": "2", "a": "1"}},
        "rootfs": {"type": "layers", "diff_ids": tars.iter().map(|t| Digest::of_bytes(t).to_string()).collect::<Vec<_>>()},
        "history": [{"created_by": "test"}],
    });
    let (cd, cn) = blob(serde_json::to_vec(&config).expect("json"));
    let layers: Vec<_> = blobs
        .iter()
        .map(|b| {
            let media = if b.starts_with(&[0x1f, 0x8b]) {
                "application/vnd.oci.image.layer.v1.tar+gzip"
            } else {
                "application/vnd.oci.image.layer.v1.tar"
            };
            let (d, n) = blob(b.clone());
            json!({"mediaType": media, "digest": d.to_string(), "size": n})
        })
        .collect();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd.to_string(), "size": cn},
        "layers": layers,
    });
    let (md, mn) = blob(serde_json::to_vec(&manifest).expect("json"));
    let mut desc = json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md.to_string(), "size": mn});
    if let Some(r) = ref_name {
        desc["annotations"] = json!({"org.opencontainers.image.ref.name": r});
    }
    let index = json!({"schemaVersion": 2, "manifests": [desc]});
    files.push((
        "index.json".to_owned(),
        serde_json::to_vec(&index).expect("json"),
    ));
    files
}

/// A docker-archive (`docker save` layout) of one image with uncompressed layers `tars`.
fn docker_archive(tars: &[Vec<u8>], repo_tags: &[&str]) -> Vec<u8> {
    let config = json!({
        "created": "2024-01-02T03:04:05Z",
        "architecture": host_arch(),
        "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": tars.iter().map(|t| Digest::of_bytes(t).to_string()).collect::<Vec<_>>()},
    });
    let config = serde_json::to_vec(&config).expect("json");
    let config_name = format!("{}.json", Digest::of_bytes(&config).hex());
    let mut files = vec![(config_name.clone(), config)];
    let mut layer_names = Vec::new();
    for (i, t) in tars.iter().enumerate() {
        let name = format!("layer{i}/layer.tar");
        files.push((name.clone(), t.clone()));
        layer_names.push(name);
    }
    let manifest = json!([{"Config": config_name, "RepoTags": repo_tags, "Layers": layer_names}]);
    files.insert(
        0,
        (
            "manifest.json".to_owned(),
            serde_json::to_vec(&manifest).expect("json"),
        ),
    );
    tar_of(&files)
}

fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = Tar::header(tar::EntryType::Regular, 0o644, data.len() as u64);
        b.append_data(&mut h, name, &data[..]).expect("append");
    }
    b.into_inner().expect("finish")
}

fn write_dir(files: &[(String, Vec<u8>)], dir: &Path) {
    for (name, data) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, data).expect("write");
    }
}

fn write_temp(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, data).expect("cannot write a test file");
    path
}

#[test]
fn import_list_tag_inspect_rmi_a_busybox_image() {
    let Some(bb) = busybox_binary() else { return };
    if !needs_root() {
        return;
    }
    let env = Env::new();
    let rootfs = busybox_rootfs(&bb);
    let opts = ImportOptions {
        reference: Some("busybox".into()),
        changes: vec![
            "CMD=/bin/sh".into(),
            "ENV=PATH=/bin:/sbin:/usr/bin:/usr/sbin".into(),
        ],
        message: Some("from busybox-static".into()),
        ..ImportOptions::default()
    };
    let img = image::import(&env.store, &mut &gzip(&rootfs)[..], &opts).expect("import busybox");
    assert_eq!(img.names, ["localhost/busybox:latest"]);
    assert_eq!(img.layers.len(), 1);
    assert_eq!(
        img.layers[0].diff_id,
        Digest::of_bytes(&rootfs),
        "diff id is the uncompressed tar"
    );
    assert_eq!(
        img.layers[0].media_type,
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
    assert_eq!(img.size, rootfs.len() as u64);
    let cfg = img.config.config().as_ref().expect("a config section");
    assert_eq!(
        cfg.cmd().as_deref(),
        Some(&["/bin/sh".to_owned(), "-c".to_owned(), "/bin/sh".to_owned()][..])
    );
    assert_eq!(Digest::of_bytes(img.config_json().as_bytes()).hex(), img.id);

    let dirs = env.store.layer_dirs(&img.id).expect("layer dirs");
    assert_eq!(dirs.len(), 1);
    let bin = fs::metadata(dirs[0].join("bin/busybox")).expect("busybox in the layer");
    assert_eq!(
        (bin.mode() & 0o7777, bin.uid(), bin.size()),
        (0o755, 0, bb.len() as u64)
    );
    assert_eq!(
        fs::read_link(dirs[0].join("bin/sh")).expect("sh applet"),
        Path::new("/bin/busybox")
    );
    assert_eq!(
        fs::metadata(dirs[0].join("tmp")).expect("tmp").mode() & 0o7777,
        0o1777
    );

    // Lookups as users type them.
    for r in [
        "busybox",
        "busybox:latest",
        "localhost/busybox",
        &img.id,
        &img.id[..12],
        &format!("sha256:{}", img.id),
    ] {
        assert_eq!(image::lookup(&env.store, r).expect(r).id, img.id, "{r}");
    }
    assert!(matches!(
        image::lookup(&env.store, "busybox:2"),
        Err(ImageError::NotFound { .. })
    ));

    assert_eq!(
        image::tag(&env.store, "busybox", "busybox:1.36").expect("tag"),
        "localhost/busybox:1.36"
    );
    assert_eq!(
        image::tag(&env.store, &img.id[..8], "quay.io/x/bb:v").expect("tag"),
        "quay.io/x/bb:v"
    );
    let list = image::list(&env.store).expect("list");
    assert_eq!(list.len(), 1);
    let json = serde_json::to_value(&list).expect("json");
    assert_eq!(json[0]["Id"], img.id.as_str());
    assert_eq!(
        json[0]["Names"],
        json!([
            "localhost/busybox:1.36",
            "localhost/busybox:latest",
            "quay.io/x/bb:v"
        ])
    );
    assert_eq!(json[0]["Size"], rootfs.len());

    let inspect =
        serde_json::to_value(image::inspect(&env.store, "busybox:1.36").expect("inspect"))
            .expect("json");
    assert_eq!(inspect["Id"], img.id.as_str());
    assert_eq!(
        inspect["RootFS"]["Layers"],
        json!([Digest::of_bytes(&rootfs).to_string()])
    );
    assert_eq!(
        inspect["Config"]["Env"],
        json!(["PATH=/bin:/sbin:/usr/bin:/usr/sbin"])
    );
    assert_eq!(inspect["Architecture"], host_arch());
    assert_eq!(inspect["Os"], "linux");
    assert_eq!(inspect["History"][0]["comment"], "from busybox-static");
    assert!(inspect["Created"]
        .as_str()
        .is_some_and(|c| c.ends_with('Z')));

    let df = image::disk_usage(&env.store).expect("df");
    assert_eq!(
        (df.total, df.active, df.size, df.reclaimable),
        (1, 0, rootfs.len() as u64, rootfs.len() as u64)
    );

    // rmi by a name among several only untags; by id it needs force; the last name removes.
    match image::remove(&env.store, "busybox:1.36", false).expect("untag") {
        Removal::Untagged { name, .. } => assert_eq!(name, "localhost/busybox:1.36"),
        other => panic!("expected an untag, got {other:?}"),
    }
    assert!(matches!(
        image::remove(&env.store, &img.id, false),
        Err(ImageError::SeveralNames { .. })
    ));
    image::remove(&env.store, "quay.io/x/bb:v", false).expect("untag");
    let Removal::Deleted(removed) = image::remove(&env.store, "busybox", false).expect("rmi")
    else {
        panic!("expected a removal")
    };
    assert_eq!(removed.layers, [Digest::of_bytes(&rootfs)]);
    assert!(!dirs[0].exists(), "the unused layer is gone");
    assert!(image::list(&env.store).expect("list").is_empty());
    env.assert_consistent();
    assert_eq!(
        fs::read_dir(env.store.root().join("blobs/sha256"))
            .expect("blobs")
            .count(),
        0
    );
}

#[test]
fn docker_archive_oci_archive_and_oci_layout_load_and_share_layers() {
    let Some(bb) = busybox_binary() else { return };
    if !needs_root() {
        return;
    }
    let env = Env::new();
    let rootfs = busybox_rootfs(&bb);
    let extra = Tar::new()
        .dir("etc", 0o755)
        .file("etc/motd", b"hello\n")
        .finish();
    let files = env.dir.path();

    let docker = write_temp(
        files,
        "docker.tar",
        &docker_archive(&[rootfs.clone(), extra.clone()], &["busybox:latest"]),
    );
    let loaded =
        image::load(&env.store, &docker, &LoadOptions::default()).expect("load docker-archive");
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].names, ["docker.io/library/busybox:latest"]);
    assert_eq!(loaded[0].image.layers.len(), 2);

    let layout = oci_layout(
        &[gzip(&rootfs), extra.clone()],
        &[rootfs.clone(), extra.clone()],
        Some("busybox:oci"),
    );
    let oci = write_temp(files, "oci.tar", &gzip(&tar_of(&layout)));
    let loaded = image::load(&env.store, &oci, &LoadOptions::default()).expect("load oci-archive");
    assert_eq!(loaded[0].names, ["localhost/busybox:oci"]);
    let dir = files.join("layout");
    write_dir(
        &oci_layout(
            std::slice::from_ref(&rootfs),
            std::slice::from_ref(&rootfs),
            Some("dir"),
        ),
        &dir,
    );
    let loaded =
        image::load(&env.store, &dir, &LoadOptions::default()).expect("load OCI layout dir");
    assert_eq!(loaded[0].names, ["localhost/dir:latest"]);

    // Three images, two distinct layers, each unpacked once.
    assert_eq!(image::list(&env.store).expect("list").len(), 3);
    assert_eq!(
        fs::read_dir(env.store.root().join("layers"))
            .expect("layers")
            .count(),
        2
    );
    let motd = env
        .store
        .layer_dirs(&image::lookup(&env.store, "busybox:oci").expect("oci").id)
        .expect("dirs");
    assert_eq!(
        fs::read(motd[1].join("etc/motd")).expect("motd"),
        b"hello\n"
    );
    // The docker-archive image is found by its short name through docker.io.
    assert_eq!(
        image::lookup(&env.store, "busybox")
            .expect("short name")
            .names,
        ["docker.io/library/busybox:latest"]
    );
    env.assert_consistent();

    // skopeo writes the archives the real tools write (scripts/setup.sh installs it).
    if rpod_tests::require("skopeo", rpod_tests::on_path("skopeo")) {
        for (transport, file) in [
            ("docker-archive", "skopeo-docker.tar"),
            ("oci-archive", "skopeo-oci.tar"),
        ] {
            let out = files.join(file);
            let status = Command::new("skopeo")
                .args([
                    "copy",
                    "--quiet",
                    &format!("oci:{}:dir", dir.display()),
                    &format!("{transport}:{}:skopeo/bb:1", out.display()),
                ])
                .status()
                .expect("cannot run skopeo");
            assert!(status.success(), "skopeo copy to {transport} failed");
            let loaded = image::load(&env.store, &out, &LoadOptions::default()).expect(transport);
            let expect = if transport == "docker-archive" {
                "docker.io/skopeo/bb:1"
            } else {
                "localhost/skopeo/bb:1"
            };
            // skopeo keeps the config, so this is the image loaded from the layout dir, now
            // with one more name; the load reports the archive's name alone (issue 12).
            assert_eq!(loaded[0].names, [expect], "{transport}");
            assert!(
                loaded[0]
                    .image
                    .names
                    .iter()
                    .any(|n| n == "localhost/dir:latest"),
                "{transport}: {:?}",
                loaded[0].image.names
            );
            assert_eq!(loaded[0].image.layers[0].diff_id, Digest::of_bytes(&rootfs));
        }
        env.assert_consistent();
    } else {
        eprintln!("note: skopeo not installed; archives built in Rust only");
    }
}

#[test]
fn tampered_archives_are_refused_and_leave_nothing() {
    if !needs_root() {
        return;
    }
    let env = Env::new();
    let layer = Tar::new().file("a", b"content").finish();
    let files = env.dir.path();

    // A layer blob whose bytes do not match its digest.
    let mut layout = oci_layout(
        std::slice::from_ref(&layer),
        std::slice::from_ref(&layer),
        Some("t"),
    );
    for (name, data) in &mut layout {
        if name.starts_with("blobs/") && *data == layer {
            data[600] ^= 1;
        }
    }
    let err = image::load(
        &env.store,
        &write_temp(files, "bad-blob.tar", &tar_of(&layout)),
        &LoadOptions::default(),
    )
    .expect_err("tampered blob");
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err}");

    // A config whose diff id does not match the layer.
    let other = Tar::new().file("b", b"other").finish();
    let mut archive = docker_archive(std::slice::from_ref(&layer), &["t:1"]);
    let fake = docker_archive(&[other], &["t:1"]);
    // Swap the layer tar in: same config (diff id of `layer`), different content.
    let members = |a: &[u8]| -> Vec<(String, Vec<u8>)> {
        let mut t = tar::Archive::new(a);
        t.entries()
            .expect("entries")
            .map(|e| {
                let mut e = e.expect("entry");
                let name = e.path().expect("path").to_string_lossy().into_owned();
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut data).expect("read");
                (name, data)
            })
            .collect()
    };
    let fake_layer = members(&fake)
        .into_iter()
        .find(|(n, _)| n.ends_with("layer.tar"))
        .expect("layer")
        .1;
    let mut m = members(&archive);
    for (n, d) in &mut m {
        if n.ends_with("layer.tar") {
            *d = fake_layer.clone();
        }
    }
    archive = tar_of(&m);
    let err = image::load(
        &env.store,
        &write_temp(files, "bad-diff.tar", &archive),
        &LoadOptions::default(),
    )
    .expect_err("wrong diff id");
    assert!(matches!(err, ImageError::DiffIdMismatch { .. }), "{err}");

    // A missing blob, and something that is no image archive at all.
    let layout: Vec<_> = oci_layout(
        std::slice::from_ref(&layer),
        std::slice::from_ref(&layer),
        None,
    )
    .into_iter()
    .filter(|(n, d)| !(n.starts_with("blobs/") && *d == layer))
    .collect();
    let err = image::load(
        &env.store,
        &write_temp(files, "missing.tar", &tar_of(&layout)),
        &LoadOptions::default(),
    )
    .expect_err("missing blob");
    assert!(matches!(err, ImageError::MissingFile { .. }), "{err}");
    let err = image::load(
        &env.store,
        &write_temp(files, "rootfs.tar", &layer),
        &LoadOptions::default(),
    )
    .expect_err("not an image archive");
    assert!(matches!(err, ImageError::UnknownFormat { .. }), "{err}");

    assert!(image::list(&env.store).expect("list").is_empty());
    env.store.gc().expect("gc");
    env.assert_consistent();
}

/// What a hostile tarball did: refused, or unpacked with everything inside the layer.
fn import_hostile(env: &Env, tar: &[u8]) -> Result<PathBuf, ImageError> {
    env.import(tar, None).map(|img| {
        let dirs = env.store.layer_dirs(&img.id).expect("layer dirs");
        dirs[0].clone()
    })
}

fn listing(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read canary") {
            let e = e.expect("entry");
            out.insert(
                e.path()
                    .strip_prefix(dir)
                    .expect("prefix")
                    .display()
                    .to_string(),
            );
            if e.file_type().expect("type").is_dir() {
                stack.push(e.path());
            }
        }
    }
    out
}

#[test]
fn hostile_tarballs_are_refused_or_neutralised_and_write_nothing_outside() {
    if !needs_root() {
        return;
    }
    let env = Env::new();
    // The canary: a directory outside the store that every attack aims at.
    let canary_dir = tempfile::tempdir().expect("canary");
    let canary = canary_dir.path();
    fs::write(canary.join("secret"), b"secret").expect("secret");
    let c = canary.to_str().expect("utf-8").to_owned();
    let rel = c.trim_start_matches('/');
    let up = "../".repeat(16);
    let before = listing(canary);
    let shadow_links = fs::metadata("/etc/shadow").map(|m| m.nlink()).ok();
    let passwd = fs::read("/etc/passwd").expect("/etc/passwd");
    let check_canary = |what: &str| {
        assert_eq!(
            listing(canary),
            before,
            "{what}: something was written outside the store"
        );
        assert_eq!(
            fs::read(canary.join("secret")).expect("secret"),
            b"secret",
            "{what}"
        );
        assert!(
            rustix::fs::getxattr(canary, "trusted.overlay.opaque", &mut [0u8; 8]).is_err(),
            "{what}: the canary dir was marked opaque"
        );
    };

    // `..` escapes: refused.
    let err = import_hostile(
        &env,
        &Tar::new().file(&format!("{up}{rel}/dotdot"), b"x").finish(),
    )
    .expect_err("../ escape");
    assert!(
        matches!(
            err,
            ImageError::Unpack {
                source: UnpackError::Breakout { .. },
                ..
            }
        ),
        "{err}"
    );
    check_canary("../escape");

    // An absolute path: neutralised, it lands inside the layer.
    let layer = import_hostile(&env, &Tar::new().file(&format!("{c}/abs"), b"abs").finish())
        .expect("absolute path");
    assert_eq!(
        fs::read(layer.join(rel).join("abs")).expect("inside"),
        b"abs"
    );
    check_canary("/abs/path");

    // A symlink to the canary, then a file through it: the canary's path does not exist in the
    // layer, so the layer is refused (as podman's chroot'ed unpack refuses it)...
    let err = import_hostile(
        &env,
        &Tar::new()
            .symlink("evil", &c)
            .file("evil/through", b"t")
            .finish(),
    )
    .expect_err("symlink to a missing dir");
    assert!(
        matches!(
            err,
            ImageError::Unpack {
                source: UnpackError::Io { .. },
                ..
            }
        ),
        "{err}"
    );
    check_canary("symlink to canary, refused");
    // ... and when it does exist in the layer, the file lands there: neutralised.
    let layer = import_hostile(
        &env,
        &Tar::new()
            .dir(&format!("{c}/"), 0o755)
            .symlink("evil", &c)
            .file("evil/through", b"t")
            .finish(),
    )
    .expect("symlink parent");
    assert_eq!(
        fs::read(layer.join(rel).join("through")).expect("inside"),
        b"t"
    );
    assert_eq!(
        fs::read_link(layer.join("evil")).expect("link kept"),
        canary
    );
    check_canary("symlink to canary");

    // The same with `evil -> /` and `evil/etc/passwd`: the layer's passwd, never the host's.
    let layer = import_hostile(
        &env,
        &Tar::new()
            .symlink("evil", "/")
            .file("evil/etc/passwd", b"pwned\n")
            .finish(),
    )
    .expect("evil -> /");
    assert_eq!(
        fs::read(layer.join("etc/passwd")).expect("inside"),
        b"pwned\n"
    );
    assert_eq!(
        fs::read("/etc/passwd").expect("/etc/passwd"),
        passwd,
        "the host's /etc/passwd changed"
    );

    // A chain of symlinks climbing out: followed only inside the layer.
    let layer = import_hostile(
        &env,
        &Tar::new()
            .dir(&format!("{c}/"), 0o755)
            .symlink("a", "b")
            .symlink("b", "c/../d")
            .dir("c", 0o755)
            .symlink("d", &format!("{up}{rel}"))
            .file("a/chain", b"chain")
            .finish(),
    )
    .expect("symlink chain");
    assert_eq!(
        fs::read(layer.join(rel).join("chain")).expect("inside"),
        b"chain"
    );
    check_canary("symlink chain");

    // Hard links to host files: refused, the host file gets no new link.
    for target in [
        "/etc/shadow",
        &format!("{c}/secret"),
        &format!("{up}{rel}/secret"),
    ] {
        let err = import_hostile(&env, &Tar::new().hardlink("stolen", target).finish())
            .expect_err(target);
        assert!(
            matches!(
                err,
                ImageError::Unpack {
                    source: UnpackError::LinkTargetMissing { .. }
                        | UnpackError::LinkBreakout { .. },
                    ..
                }
            ),
            "{target}: {err}"
        );
    }
    let err = import_hostile(
        &env,
        &Tar::new()
            .symlink("evil", &c)
            .hardlink("stolen", "evil/secret")
            .finish(),
    )
    .expect_err("hard link through a symlink");
    assert!(
        matches!(
            err,
            ImageError::Unpack {
                source: UnpackError::LinkTargetMissing { .. },
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        fs::metadata(canary.join("secret")).expect("secret").nlink(),
        1
    );
    assert_eq!(
        fs::metadata("/etc/shadow").map(|m| m.nlink()).ok(),
        shadow_links
    );
    check_canary("hard links");

    // Device nodes: created (as podman does as root), but only inside.
    let layer = import_hostile(
        &env,
        &Tar::new()
            .char_device("dev/null", 1, 3)
            .char_device(&format!("{c}/node"), 1, 3)
            .symlink("evil", &c)
            .char_device("evil/node2", 1, 3)
            .finish(),
    )
    .expect("device nodes");
    let null = fs::symlink_metadata(layer.join("dev/null")).expect("dev/null");
    assert!(null.file_type().is_char_device());
    assert_eq!(null.rdev(), rustix::fs::makedev(1, 3));
    assert!(fs::symlink_metadata(layer.join(rel).join("node"))
        .expect("inside")
        .file_type()
        .is_char_device());
    assert!(fs::symlink_metadata(layer.join(rel).join("node2"))
        .expect("inside")
        .file_type()
        .is_char_device());
    let err = import_hostile(
        &env,
        &Tar::new()
            .char_device(&format!("{up}{rel}/node"), 1, 3)
            .finish(),
    )
    .expect_err("device escape");
    assert!(
        matches!(
            err,
            ImageError::Unpack {
                source: UnpackError::Breakout { .. },
                ..
            }
        ),
        "{err}"
    );
    check_canary("device nodes");

    // Whiteouts aimed through a symlink: made inside, the canary's file survives.
    let layer = import_hostile(
        &env,
        &Tar::new()
            .dir(&format!("{c}/"), 0o755)
            .symlink("evil", &c)
            .file("evil/.wh.secret", b"")
            .file("evil/.wh..wh..opq", b"")
            .finish(),
    )
    .expect("whiteouts through a symlink");
    let wh = fs::symlink_metadata(layer.join(rel).join("secret")).expect("whiteout inside");
    assert!(wh.file_type().is_char_device() && wh.rdev() == 0);
    check_canary("whiteouts");

    // A huge header size: refused before writing.
    let mut h = Tar::header(tar::EntryType::Regular, 0o644, 0);
    h.set_size(1 << 60);
    let err = import_hostile(&env, &Tar::new().raw(h, "huge", None, &[]).finish())
        .expect_err("huge header");
    assert!(
        matches!(
            err,
            ImageError::Unpack {
                source: UnpackError::EntryTooLarge { .. },
                ..
            }
        ),
        "{err}"
    );

    // setuid bits are kept, as podman keeps them as root.
    let mut h = Tar::header(tar::EntryType::Regular, 0o4755, 1);
    h.set_uid(0);
    let layer =
        import_hostile(&env, &Tar::new().raw(h, "suid", None, b"x").finish()).expect("setuid");
    assert_eq!(
        fs::metadata(layer.join("suid")).expect("suid").mode() & 0o7777,
        0o4755
    );

    check_canary("the end");
    // Refused imports leave unreferenced blobs at most; gc takes them, and the store is whole.
    env.store.gc().expect("gc");
    env.assert_consistent();
}

#[test]
fn whiteouts_and_opaque_dirs_work_across_two_layers_under_overlayfs() {
    if !needs_root() {
        return;
    }
    let env = Env::new();
    let lower = Tar::new()
        .dir("a", 0o755)
        .file("a/file1", b"1")
        .file("a/file2", b"2")
        .dir("b", 0o755)
        .file("b/x", b"x")
        .file("keep", b"k")
        .finish();
    let upper = Tar::new()
        .dir("a", 0o755)
        .file("a/.wh.file1", b"")
        .dir("b", 0o755)
        .file("b/.wh..wh..opq", b"")
        .file("b/y", b"y")
        .finish();
    let dir = env.dir.path().join("layout");
    write_dir(
        &oci_layout(&[lower.clone(), upper.clone()], &[lower, upper], Some("wh")),
        &dir,
    );
    let img = image::load(&env.store, &dir, &LoadOptions::default())
        .expect("load")
        .remove(0)
        .image;
    let dirs = env.store.layer_dirs(&img.id).expect("dirs");
    assert_eq!(dirs.len(), 2);
    let wh = fs::symlink_metadata(dirs[1].join("a/file1")).expect("whiteout");
    assert!(
        wh.file_type().is_char_device() && wh.rdev() == 0,
        "a/.wh.file1 is a 0:0 char device"
    );
    assert!(!dirs[1].join("a/.wh.file1").exists() && !dirs[1].join("b/.wh..wh..opq").exists());
    let mut buf = [0u8; 4];
    let n = rustix::fs::getxattr(dirs[1].join("b"), "trusted.overlay.opaque", &mut buf)
        .expect("opaque xattr");
    assert_eq!(&buf[..n], b"y");

    let has_overlay = fs::read_to_string("/proc/filesystems").is_ok_and(|f| f.contains("overlay"));
    if !rpod_tests::require("overlayfs", has_overlay) {
        return;
    }
    let target = env.dir.path().join("merged");
    fs::create_dir(&target).expect("mountpoint");
    let lowerdir = format!("lowerdir={}:{}", dirs[1].display(), dirs[0].display());
    let status = Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o", &lowerdir])
        .arg(&target)
        .status()
        .expect("cannot run mount");
    assert!(status.success(), "mount -t overlay failed");
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(&target);
    assert!(
        !target.join("a/file1").exists(),
        "the whiteout hides a/file1"
    );
    assert_eq!(fs::read(target.join("a/file2")).expect("a/file2"), b"2");
    assert!(
        !target.join("b/x").exists(),
        "the opaque dir hides the lower b/x"
    );
    assert_eq!(fs::read(target.join("b/y")).expect("b/y"), b"y");
    assert_eq!(fs::read(target.join("keep")).expect("keep"), b"k");
}

/// `rpod --root DIR/root --runroot DIR/run`: the binary on the store of an [`Env`] in `dir`.
fn rpod_cmd(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rpod"));
    cmd.arg("--root")
        .arg(dir.join("root"))
        .arg("--runroot")
        .arg(dir.join("run"));
    cmd
}

/// A child `rpod import TAR NAME` into the store in `dir` (issue 11: the child was a
/// `#[test]` that passed at once in a normal run).
fn spawn_child_import(dir: &Path, tar: &Path, name: &str) -> std::process::Child {
    rpod_cmd(dir)
        .arg("import")
        .arg(tar)
        .arg(name)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("cannot start a child import")
}

fn big_tar(seed: u8, files: usize) -> Vec<u8> {
    let mut t = Tar::new().dir("data", 0o755);
    for i in 0..files {
        let salt = i.to_le_bytes()[0] ^ seed;
        let data: Vec<u8> = (0..=u8::MAX)
            .cycle()
            .take(16 * 1024)
            .map(|b| b ^ salt)
            .collect();
        t = t.file(&format!("data/f{i}"), &data);
    }
    t.finish()
}

#[test]
fn a_killed_import_leaves_a_state_gc_makes_consistent() {
    if !needs_root() {
        return;
    }
    let env = Env::new();
    let tar = write_temp(env.dir.path(), "big.tar", &big_tar(7, 1000));
    // How long a whole child import takes here, so the kills below land in every phase: copying
    // the blob, unpacking, moving the layer, recording the image.
    let start = std::time::Instant::now();
    let status = spawn_child_import(env.dir.path(), &tar, "timed")
        .wait()
        .expect("wait");
    assert!(status.success(), "the timed child import failed");
    let whole = start.elapsed();
    // Kills spread over the import; a child that finished before its kill does not count,
    // and the delays shrink until 12 were interrupted (a kill at once always interrupts), so
    // the count does not depend on how fast this machine imports (issue 11).
    let (mut killed, mut attempts, mut span) = (0u32, 0u32, whole);
    while killed < 12 {
        attempts += 1;
        assert!(
            attempts <= 200,
            "200 kills and still not 12 interrupted imports"
        );
        let mut child = spawn_child_import(env.dir.path(), &tar, &format!("killed:{attempts}"));
        std::thread::sleep(span * killed / 12);
        child.kill().ok();
        if child.wait().expect("wait for the child").success() {
            span = span * 3 / 4;
        } else {
            killed += 1;
        }
        let report = env.store.gc().expect("gc after a kill");
        assert!(!report.busy, "the dead child's lock must be gone");
        env.assert_consistent();
        // Whatever got committed is whole.
        for img in image::list(&env.store).expect("list") {
            for d in env
                .store
                .layer_dirs(&img.id)
                .expect("layers of a committed image")
            {
                assert!(
                    d.join("data/f999").is_file(),
                    "a committed layer is complete"
                );
            }
        }
    }
    eprintln!("a child import takes {whole:?}; 12 of {attempts} kills interrupted one");
    // Nothing in the way of the next import.
    let img = env
        .import(&fs::read(&tar).expect("tar"), Some("after"))
        .expect("import after kills");
    assert!(env.store.layer_dirs(&img.id).expect("dirs")[0]
        .join("data/f0")
        .is_file());
    env.assert_consistent();
}

#[test]
fn concurrent_imports_and_gc_leave_a_consistent_store() {
    if !needs_root() {
        return;
    }
    // A fresh root: the schema itself is created concurrently.
    let dir = tempfile::tempdir().expect("tempdir");
    let shared = big_tar(1, 64);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let gc = s.spawn(|| {
            let store = Env::open_in(dir.path());
            let mut busy = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                busy += usize::from(store.gc().expect("concurrent gc").busy);
                std::thread::sleep(Duration::from_millis(2));
            }
            busy
        });
        let workers: Vec<_> = (0..8u8)
            .map(|i| {
                let shared = &shared;
                let dir = dir.path();
                s.spawn(move || {
                    let store = Env::open_in(dir);
                    let tar = if i % 2 == 0 {
                        shared.clone()
                    } else {
                        big_tar(10 + i, 64)
                    };
                    let opts = ImportOptions {
                        reference: Some(format!("t{i}")),
                        ..ImportOptions::default()
                    };
                    image::import(&store, &mut &tar[..], &opts).expect("concurrent import")
                })
            })
            .collect();
        for w in workers {
            w.join().expect("import thread");
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        gc.join().expect("gc thread");
    });
    // And as separate processes, into the same store.
    let tar = write_temp(dir.path(), "p.tar", &big_tar(99, 64));
    let children: Vec<_> = (0..8)
        .map(|i| spawn_child_import(dir.path(), &tar, &format!("p{i}")))
        .collect();
    for mut c in children {
        assert!(c.wait().expect("wait").success(), "a child import failed");
    }
    let store = Env::open_in(dir.path());
    let names: Vec<String> = store
        .names()
        .expect("names")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let expected: Vec<String> = (0..8)
        .map(|i| format!("localhost/p{i}:latest"))
        .chain((0..8).map(|i| format!("localhost/t{i}:latest")))
        .collect();
    assert_eq!(names, expected);
    // The threads' imports (from a reader) are each dated now; the processes import one file,
    // which (as podman) dates the image by the file's modification time: one image, eight names.
    assert_eq!(
        store.images().expect("images").len(),
        9,
        "eight dated imports and one image of the same file"
    );
    // 1 shared + 4 distinct (threads) + 1 (processes) layers, each unpacked once.
    assert_eq!(
        fs::read_dir(store.root().join("layers"))
            .expect("layers")
            .count(),
        6
    );
    for img in store.images().expect("images") {
        assert!(store.layer_dirs(&img.id).expect("dirs")[0]
            .join("data/f63")
            .is_file());
    }
    assert!(!store.gc().expect("gc").busy);
    let problems = store.check().expect("check");
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(
        fs::metadata(store.root())
            .expect("root")
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
}

// ---- issue 12: hostile layouts, FIFOs, re-loads, killed imports, `Loaded image:` ----

/// `rpod --root .. --runroot .. ARGS` in the store of `dir`, with `stdin`; killed (and the test
/// failed, naming `what`) if it has not exited within a minute: a hang is what these tests are
/// about, and must fail the test rather than stall the suite.
fn rpod_in(dir: &Path, args: &[&str], what: &str) -> std::process::Output {
    let mut child = rpod_cmd(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cannot start rpod");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait for rpod").is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("{what}: rpod {args:?} still runs after 60 s: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("rpod output")
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("cannot run mkfifo");
    assert!(status.success(), "mkfifo {} failed", path.display());
}

/// The entries of `ROOT/tmp` (work dirs of running or killed commands).
fn tmp_entries(dir: &Path) -> Vec<String> {
    let tmp = dir.join("root/tmp");
    let mut names: Vec<String> = match fs::read_dir(&tmp) {
        Ok(rd) => rd
            .map(|e| {
                e.expect("tmp entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot read {}: {e}", tmp.display()),
    };
    names.sort();
    names
}

/// A one-layer [`oci_layout`] named `name` (its layer holds file `a`): the layer, the
/// layout's files, and the path of the layer blob in it.
fn one_layer_layout(name: &str) -> (Vec<u8>, Files, String) {
    let layer = Tar::new().file("a", b"content").finish();
    let layout = oci_layout(
        std::slice::from_ref(&layer),
        std::slice::from_ref(&layer),
        Some(name),
    );
    let blob = layout
        .iter()
        .find(|(n, d)| n.starts_with("blobs/") && *d == layer)
        .expect("the layer blob")
        .0
        .clone();
    (layer, layout, blob)
}

/// `rpod_in` that must succeed; its output.
fn rpod_ok(dir: &Path, args: &[&str], what: &str) -> std::process::Output {
    let out = rpod_in(dir, args, what);
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn a_fifo_in_a_layout_or_as_a_tarball_is_refused_at_once_and_leaves_no_work_dir() {
    if !needs_root() {
        return;
    }
    let env = Env::new();
    let (_, layout, blob) = one_layer_layout("fifo");
    for member in [blob.as_str(), "index.json", "oci-layout"] {
        let dir = env
            .dir
            .path()
            .join(format!("layout-{}", member.replace('/', "_")));
        write_dir(&layout, &dir);
        fs::remove_file(dir.join(member)).expect("remove the member");
        mkfifo(&dir.join(member));
        let out = rpod_in(
            env.dir.path(),
            &["load", "-i", dir.to_str().expect("utf-8 path")],
            member,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(125), "{member}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{} is a FIFO, not a regular file",
                dir.join(member).display()
            )),
            "{member}: the refusal names the file and why: {stderr}"
        );
        assert_eq!(
            tmp_entries(env.dir.path()),
            Vec::<String>::new(),
            "{member}"
        );
    }
    // The archive itself, and an import tarball.
    let fifo = env.dir.path().join("archive.fifo");
    mkfifo(&fifo);
    let fifo_arg = fifo.to_str().expect("utf-8 path");
    for args in [vec!["load", "-i", fifo_arg], vec!["import", fifo_arg, "x"]] {
        let out = rpod_in(env.dir.path(), &args, "a FIFO argument");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(125), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("{} is a FIFO, not a regular file", fifo.display())),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(tmp_entries(env.dir.path()), Vec::<String>::new());
    assert!(image::list(&env.store).expect("list").is_empty());
}

#[test]
fn layout_symlinks_are_followed_only_while_they_stay_inside_the_layout() {
    if !needs_root() {
        return;
    }
    let env = Env::new();
    let (layer, layout, blob) = one_layer_layout("links");
    // The blob lives outside the layout, with exactly the right bytes: only the confinement
    // can refuse it.
    let outside = write_temp(env.dir.path(), "outside.tar", &layer);
    let escapes = [
        ("absolute", outside.to_str().expect("utf-8").to_owned()),
        ("dotdot", "../../../outside.tar".to_owned()),
        ("etc", "/etc/hostname".to_owned()),
        ("magic", "/proc/self/root/etc/hostname".to_owned()),
    ];
    for (what, target) in &escapes {
        let dir = env.dir.path().join(format!("layout-{what}"));
        write_dir(&layout, &dir);
        fs::remove_file(dir.join(&blob)).expect("remove the blob");
        std::os::unix::fs::symlink(target, dir.join(&blob)).expect("symlink");
        let err = image::load(&env.store, &dir, &LoadOptions::default())
            .expect_err("a blob outside the layout");
        assert!(
            matches!(&err, ImageError::OutsideLayout { name, .. } if *name == blob),
            "{what}: {err}"
        );
    }
    // index.json itself may not lead out either.
    let dir = env.dir.path().join("layout-index");
    write_dir(&layout, &dir);
    let index = write_temp(
        env.dir.path(),
        "index.json",
        &fs::read(dir.join("index.json")).expect("index"),
    );
    fs::remove_file(dir.join("index.json")).expect("remove index.json");
    std::os::unix::fs::symlink(&index, dir.join("index.json")).expect("symlink");
    let err = image::load(&env.store, &dir, &LoadOptions::default()).expect_err("index outside");
    assert!(matches!(err, ImageError::OutsideLayout { .. }), "{err}");
    assert!(image::list(&env.store).expect("list").is_empty());

    // A symlink that stays inside (a layout that dedups its files) loads.
    let dir = env.dir.path().join("layout-inside");
    write_dir(&layout, &dir);
    fs::create_dir(dir.join("stash")).expect("mkdir");
    fs::rename(dir.join(&blob), dir.join("stash/layer")).expect("move the blob");
    std::os::unix::fs::symlink("../../stash/layer", dir.join(&blob)).expect("symlink");
    let loaded = image::load(&env.store, &dir, &LoadOptions::default()).expect("inside link");
    assert_eq!(loaded[0].names, ["localhost/links:latest"]);
    // And the layout dir named on the command line may be a symlink.
    let link = env.dir.path().join("layout-link");
    std::os::unix::fs::symlink(&dir, &link).expect("symlink");
    image::load(&env.store, &link, &LoadOptions::default()).expect("a symlinked layout dir");
    env.assert_consistent();
}

/// `layout` with its manifest changed by `edit` (the manifest blob and index.json follow).
fn edit_manifest(layout: &[(String, Vec<u8>)], edit: impl Fn(&mut serde_json::Value)) -> Files {
    let index: serde_json::Value = serde_json::from_slice(
        &layout
            .iter()
            .find(|(n, _)| n == "index.json")
            .expect("index")
            .1,
    )
    .expect("index json");
    let old = index["manifests"][0]["digest"]
        .as_str()
        .expect("digest")
        .trim_start_matches("sha256:")
        .to_owned();
    let old_name = format!("blobs/sha256/{old}");
    let mut manifest: serde_json::Value = serde_json::from_slice(
        &layout
            .iter()
            .find(|(n, _)| *n == old_name)
            .expect("manifest")
            .1,
    )
    .expect("manifest json");
    edit(&mut manifest);
    let bytes = serde_json::to_vec(&manifest).expect("json");
    let digest = Digest::of_bytes(&bytes);
    let mut index = index;
    index["manifests"][0]["digest"] = json!(digest.to_string());
    index["manifests"][0]["size"] = json!(bytes.len());
    let mut out: Vec<_> = layout
        .iter()
        .filter(|(n, _)| *n != old_name && n != "index.json")
        .cloned()
        .collect();
    out.push((format!("blobs/sha256/{}", digest.hex()), bytes));
    out.push((
        "index.json".to_owned(),
        serde_json::to_vec(&index).expect("json"),
    ));
    out
}

#[test]
fn every_layer_descriptor_is_checked_even_when_the_image_is_already_stored() {
    if !needs_root() {
        return;
    }
    let env = Env::new();
    let (layer, layout, blob) = one_layer_layout("stored");
    let good = env.dir.path().join("good");
    write_dir(&layout, &good);
    let first = image::load(&env.store, &good, &LoadOptions::default()).expect("first load");
    let id = first[0].image.id.clone();

    // Same config (so the same image id), lying descriptors.
    let wrong_size = edit_manifest(&layout, |m| {
        let n = m["layers"][0]["size"].as_u64().expect("size");
        m["layers"][0]["size"] = json!(n + 1);
    });
    let wrong_digest = edit_manifest(&layout, |m| {
        m["layers"][0]["digest"] = json!(Digest::of_bytes(b"something else").to_string());
    });
    let mut tampered = layout.clone();
    for (n, d) in &mut tampered {
        if *n == blob {
            d[600] ^= 1;
        }
    }
    let cases = [
        ("wrong-size", wrong_size),
        ("wrong-digest", wrong_digest),
        ("tampered", tampered),
    ];
    for (what, files) in cases {
        let dir = env.dir.path().join(what);
        write_dir(&files, &dir);
        let err = image::load(&env.store, &dir, &LoadOptions::default())
            .expect_err("a lying descriptor must fail the load");
        match what {
            "wrong-size" => assert!(
                matches!(err, ImageError::SizeMismatch { .. }),
                "{what}: {err}"
            ),
            "wrong-digest" => assert!(
                matches!(err, ImageError::MissingFile { .. }),
                "{what}: {err}"
            ),
            _ => assert!(
                matches!(err, ImageError::DigestMismatch { .. }),
                "{what}: {err}"
            ),
        }
    }
    // A non-regular blob too (in a child: a regression would hang, not fail, in-process).
    let dir = env.dir.path().join("fifo");
    write_dir(&layout, &dir);
    fs::remove_file(dir.join(&blob)).expect("rm");
    mkfifo(&dir.join(&blob));
    let out = rpod_in(
        env.dir.path(),
        &["load", "-i", dir.to_str().expect("utf-8")],
        "a FIFO blob of a stored image",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{stderr}");
    assert!(stderr.contains("is a FIFO, not a regular file"), "{stderr}");

    // A docker-archive of a stored image whose layer is not the one its diff id names.
    let docker = docker_archive(std::slice::from_ref(&layer), &["stored:docker"]);
    let docker_path = write_temp(env.dir.path(), "docker.tar", &docker);
    image::load(&env.store, &docker_path, &LoadOptions::default()).expect("docker load");
    image::load(&env.store, &docker_path, &LoadOptions::default()).expect("docker re-load");
    let other = Tar::new().file("b", b"other").finish();
    let mut m: Vec<(String, Vec<u8>)> = Vec::new();
    let mut t = tar::Archive::new(&docker[..]);
    for e in t.entries().expect("entries") {
        let mut e = e.expect("entry");
        let name = e.path().expect("path").to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).expect("read");
        if name.ends_with("layer.tar") {
            data = other.clone();
        }
        m.push((name, data));
    }
    let err = image::load(
        &env.store,
        &write_temp(env.dir.path(), "docker-bad.tar", &tar_of(&m)),
        &LoadOptions::default(),
    )
    .expect_err("a docker layer that is not the config's");
    assert!(matches!(err, ImageError::DiffIdMismatch { .. }), "{err}");

    // The stored images are untouched, and gained no name from the refused archives.
    let image = image::lookup(&env.store, &id).expect("still stored");
    assert_eq!(image.names, ["localhost/stored:latest"]);
    let docker_image = image::lookup(&env.store, "stored:docker").expect("docker image");
    assert_eq!(docker_image.names, ["docker.io/library/stored:docker"]);
    assert_eq!(image::list(&env.store).expect("list").len(), 2);
    env.store.gc().expect("gc");
    env.assert_consistent();
}

#[test]
fn a_killed_imports_work_dir_is_removed_by_the_next_command_and_a_live_one_is_kept() {
    if !needs_root() {
        return;
    }
    let env = Env::new();
    let dir = env.dir.path();
    // `rpod import -` with a stdin nobody writes to: it holds its work dir until stdin closes.
    let spawn = |name: &str| {
        rpod_cmd(dir)
            .args(["import", "-", name])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("cannot start rpod import")
    };
    let work_of = |pid: u32| {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(w) = tmp_entries(dir)
                .into_iter()
                .find(|n| n.starts_with(&format!("work-{pid}-")))
            {
                return w;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "rpod import (pid {pid}) made no work dir within 60 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let mut dead = spawn("dead");
    let dead_work = work_of(dead.id());
    let mut live = spawn("live");
    let live_work = work_of(live.id());
    dead.kill().expect("kill -9");
    assert!(!dead.wait().expect("wait").success());
    assert_eq!(tmp_entries(dir), {
        let mut v = vec![dead_work.clone(), live_work.clone()];
        v.sort();
        v
    });
    // The next command, whatever it is, cleans up after the dead one only.
    rpod_ok(dir, &["images"], "rpod images");
    assert_eq!(
        tmp_entries(dir),
        std::slice::from_ref(&live_work),
        "only the live import's work dir is left"
    );
    // The live import goes on undisturbed.
    let tar = Tar::new().file("a", b"alive").finish();
    live.stdin
        .take()
        .expect("stdin")
        .write_all(&tar)
        .expect("feed the live import");
    assert!(
        live.wait().expect("wait").success(),
        "the live import failed"
    );
    assert_eq!(tmp_entries(dir), Vec::<String>::new());
    let store = Env::open_in(dir);
    assert_eq!(
        store
            .names()
            .expect("names")
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>(),
        ["localhost/live:latest"]
    );
    assert!(store.check().expect("check").is_empty());
}

#[test]
fn loaded_image_lines_name_what_the_archive_gave_as_podman_does() {
    if !needs_root() {
        return;
    }
    let env = Env::new();
    let dir = env.dir.path();
    let layer = Tar::new().file("a", b"content").finish();
    let archive = write_temp(
        dir,
        "two.tar",
        &docker_archive(std::slice::from_ref(&layer), &["b:2", "a:1"]),
    );
    let path = archive.to_str().expect("utf-8");
    let out = rpod_ok(dir, &["load", "-i", path], "first load");
    // podman 4.3.1 prints the archive's names in its order.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Loaded image: docker.io/library/b:2\nLoaded image: docker.io/library/a:1\n"
    );
    let id = image::lookup(&env.store, "a:1").expect("loaded").id;
    image::tag(&env.store, &id, "extra:1").expect("tag");
    // Loading again: the image has three names now, the archive still gives two.
    let out = rpod_ok(dir, &["load", "-i", path], "second load");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Loaded image: docker.io/library/b:2\nLoaded image: docker.io/library/a:1\n"
    );
    // An unnamed archive of the same image prints its id, not the names the image has.
    let unnamed = docker_archive(std::slice::from_ref(&layer), &[]);
    let out = rpod_ok(
        dir,
        &[
            "load",
            "-i",
            write_temp(dir, "unnamed.tar", &unnamed)
                .to_str()
                .expect("utf-8"),
        ],
        "unnamed load",
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("Loaded image: sha256:{id}\n")
    );
    let loaded = image::load(&env.store, &archive, &LoadOptions::default()).expect("load");
    assert_eq!(
        loaded[0].names,
        ["docker.io/library/b:2", "docker.io/library/a:1"]
    );
    assert_eq!(loaded[0].image.names.len(), 3);
}
