//! `rpod cp`, `export`, `diff` and `commit` end to end (issue 13), against real busybox
//! containers under runc, each test with its own store. The symlink tests plant hostile links
//! inside a container and check that nothing outside its root is read or changed.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

mod support;
use support::{code, ready, stderr, Env};

/// Every path under `dir` with its type, size, mode, owner and contents: a snapshot to compare.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            let m = std::fs::symlink_metadata(&p).expect("lstat");
            let what = if m.is_dir() {
                stack.push(p.clone());
                "dir".to_string()
            } else if m.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&p).expect("readlink").display())
            } else {
                String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_default()).to_string()
            };
            out.insert(p, format!("{what} {:o} {}:{}", m.mode(), m.uid(), m.gid()));
        }
    }
    out
}

/// Whether something is mounted at or below `path` in this process's view.
fn mounted_under(path: &Path) -> bool {
    let info = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let p = path.to_str().expect("utf-8");
    info.lines()
        .any(|l| l.split(' ').nth(4).is_some_and(|m| m.starts_with(p)))
}

fn container_id(e: &Env, name: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&e.out(&["inspect", name])).expect("inspect json");
    v[0]["Id"].as_str().expect("Id").to_string()
}

/// Copies in and out of a running container and of a stopped one; a stopped container's root
/// is mounted for the copy and unmounted again (podman does the same).
#[test]
fn cp_works_both_ways_on_running_and_stopped_containers() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let host = e.dir.path().join("host");
    std::fs::create_dir(&host).expect("mkdir");
    std::fs::write(host.join("f"), b"from the host\n").expect("write");

    e.out(&["run", "-d", "--name", "live", "busybox", "sleep", "600"]);
    e.out(&["cp", host.join("f").to_str().expect("utf-8"), "live:/tmp/f"]);
    assert_eq!(
        e.out(&["exec", "live", "cat", "/tmp/f"]),
        "from the host\n",
        "the running container sees the copied file"
    );
    e.out(&["exec", "live", "sh", "-c", "echo made inside > /root/in"]);
    e.out(&[
        "cp",
        "live:/root/in",
        host.join("in").to_str().expect("utf-8"),
    ]);
    assert_eq!(
        std::fs::read(host.join("in")).expect("copied out"),
        b"made inside\n"
    );
    e.out(&["rm", "-f", "live"]);

    e.out(&["create", "--name", "idle", "busybox", "cat", "/tmp/f"]);
    let merged = e
        .dir
        .path()
        .join("root/containers")
        .join(container_id(&e, "idle"))
        .join("merged");
    // `create` may leave the root mounted; from an unmounted root, cp leaves it unmounted.
    e.out(&["umount", "idle"]);
    assert!(!mounted_under(&merged));
    e.out(&["cp", host.join("f").to_str().expect("utf-8"), "idle:/tmp/"]);
    assert!(
        !mounted_under(&merged),
        "cp left the stopped container's root mounted"
    );
    let o = e.rpod(&["start", "-a", "idle"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "from the host\n");
    e.out(&[
        "cp",
        "idle:/etc/passwd",
        host.join("passwd").to_str().expect("utf-8"),
    ]);
    assert!(std::fs::read_to_string(host.join("passwd"))
        .expect("passwd")
        .starts_with("root:x:0:0"));
}

/// podman-cp(1)'s rules: a directory onto nothing becomes it, into a directory under its own
/// name, `dir/.` copies the contents; a missing parent, a trailing `/` on a missing
/// destination and a directory onto a file are refused with podman's messages and 125.
#[test]
fn cp_follows_podmans_rules_for_directories_and_trailing_slashes() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let host = e.dir.path().join("host");
    std::fs::create_dir_all(host.join("src/sub")).expect("mkdir");
    std::fs::write(host.join("src/sub/a"), b"a").expect("write");
    std::fs::write(host.join("f"), b"f").expect("write");
    let h = |p: &str| host.join(p).to_str().expect("utf-8").to_string();
    e.out(&["create", "--name", "c", "busybox", "true"]);
    e.out(&["cp", &h("src"), "c:/new"]);
    e.out(&["cp", &h("src"), "c:/tmp"]);
    e.out(&["cp", &format!("{}/.", h("src")), "c:/root"]);
    e.out(&["cp", &h("f"), "c:/etc/renamed"]);
    let root = h("out");
    e.out(&["cp", "c:/", &root]);
    for p in ["new/sub/a", "tmp/src/sub/a", "root/sub/a", "etc/renamed"] {
        assert!(host.join("out").join(p).is_file(), "{p} missing");
    }
    assert!(!host.join("out/root/src").exists());

    let refused = |args: &[&str], msg: &str| {
        let o = e.rpod(args);
        assert_eq!(code(&o), 125, "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(msg), "{args:?}: {}", stderr(&o));
    };
    refused(
        &["cp", &h("f"), "c:/nodir/x"],
        "\"/nodir/x\" could not be found on container c: no such file or directory",
    );
    refused(
        &["cp", &h("f"), "c:/nodir/"],
        "\"/nodir/\" could not be found on container c",
    );
    refused(
        &["cp", &h("src"), "c:/etc/passwd"],
        "destination must be a directory when copying a directory",
    );
    refused(
        &["cp", "c:/nope", &h("x")],
        "\"/nope\" could not be found on container c",
    );
    refused(
        &["cp", &h("nope"), "c:/tmp"],
        "could not be found on the host",
    );
    refused(&["cp", &h("f"), &h("g")], "you must use just one container");
}

/// The symlink-escape rules: links a container plants (absolute, `../../`, a link to `/etc` in
/// the destination directory, a dangling one to a host file) are resolved inside its root;
/// nothing outside the root is written or read, whichever way the copy goes.
#[test]
fn cp_resolves_every_container_path_inside_the_root_whatever_the_symlinks() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let outside = e.dir.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    std::fs::write(outside.join("secret"), b"host secret").expect("write");
    let out = outside.to_str().expect("utf-8");
    let host = e.dir.path().join("host");
    std::fs::create_dir(&host).expect("mkdir");
    std::fs::write(host.join("payload"), b"payload").expect("write");
    let payload = host.join("payload").to_str().expect("utf-8").to_string();
    let plant = format!(
        "mkdir -p {out} && ln -s {out} /abs && ln -s ../../../../../../../../..{out} /tmp/rel && \
         mkdir /d && ln -s /etc /d/etc && ln -s {out}/secret /leak && \
         ln -s /proc/self/root{out} /magic"
    );
    let o = e.rpod(&["run", "--name", "evil", "busybox", "sh", "-c", &plant]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let before = snapshot(&outside);

    // Into the container: each either lands inside the root or is refused.
    let etc_before = std::fs::symlink_metadata("/etc/payload").is_ok();
    for dest in [
        "evil:/abs/",
        "evil:/abs/payload",
        "evil:/tmp/rel/",
        "evil:/d/etc/",
        "evil:/magic/",
        "evil:/../../../../abs/x",
    ] {
        let _ = e.rpod(&["cp", &payload, dest]);
    }
    assert_eq!(
        std::fs::symlink_metadata("/etc/payload").is_ok(),
        etc_before,
        "cp wrote the host's /etc"
    );
    // The writes that succeeded are inside the container.
    let root_view = e.dir.path().join("view");
    e.out(&["cp", "evil:/", root_view.to_str().expect("utf-8")]);
    assert!(
        root_view.join("etc/payload").is_file(),
        "/d/etc/ is the container's /etc"
    );
    assert!(
        root_view
            .join(outside.strip_prefix("/").expect("abs"))
            .join("payload")
            .is_file(),
        "/abs/ is the container's own {out}"
    );

    // A tar on stdin whose entries go through the planted links.
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(3);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    tar.append_data(&mut h, "abs/viatar", &b"tar"[..])
        .expect("tar");
    let mut h = h.clone();
    tar.append_data(&mut h, "d/etc/viatar", &b"tar"[..])
        .expect("tar");
    let tar = tar.into_inner().expect("tar");
    let mut child = e
        .cmd(&["cp", "-", "evil:/"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rpod cp -");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&tar)
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!Path::new("/etc/viatar").exists());

    // Out of the container: the links are followed inside the root, where there is no secret.
    let got = host.join("got");
    for src in [
        "evil:/leak",
        "evil:/abs/secret",
        "evil:/tmp/rel/secret",
        "evil:/magic/secret",
    ] {
        let o = e.rpod(&["cp", src, got.to_str().expect("utf-8")]);
        assert_eq!(code(&o), 125, "{src} was copied: {}", stderr(&o));
        assert!(!got.exists(), "{src} read the host's secret");
    }
    // A directory holding links copies them as links, not as what they name on the host.
    e.out(&["cp", "evil:/d", host.join("d").to_str().expect("utf-8")]);
    assert_eq!(
        std::fs::read_link(host.join("d/etc")).expect("a link"),
        Path::new("/etc")
    );
    assert_eq!(
        snapshot(&outside),
        before,
        "something outside the root changed"
    );
}

/// `--archive` (the default) gives the files the container user's owner; `--archive=false`
/// keeps the host file's.
#[test]
fn cp_archive_decides_the_owner_in_the_container() {
    if !ready() {
        return;
    }
    let e = Env::new();
    let f = e.dir.path().join("owned");
    std::fs::write(&f, b"x").expect("write");
    std::os::unix::fs::chown(&f, Some(1234), Some(4321)).expect("chown");
    e.out(&[
        "create", "--name", "c", "--user", "42:43", "busybox", "true",
    ]);
    let fp = f.to_str().expect("utf-8");
    e.out(&["cp", fp, "c:/tmp/a"]);
    e.out(&["cp", "--archive=false", fp, "c:/tmp/b"]);
    let o = e
        .cmd(&["cp", "c:/tmp", "-"])
        .stdout(Stdio::piped())
        .output()
        .expect("cp to stdout");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut ar = tar::Archive::new(&o.stdout[..]);
    let owners: BTreeMap<String, (u64, u64)> = ar
        .entries()
        .expect("tar")
        .map(|en| {
            let en = en.expect("entry");
            let h = en.header();
            (
                en.path().expect("path").display().to_string(),
                (h.uid().expect("uid"), h.gid().expect("gid")),
            )
        })
        .collect();
    assert_eq!(owners.get("tmp/a"), Some(&(42, 43)), "{owners:?}");
    assert_eq!(owners.get("tmp/b"), Some(&(1234, 4321)), "{owners:?}");
}

/// `export` writes the whole root as a tar that `import` takes back.
#[test]
fn export_round_trips_through_import() {
    if !ready() {
        return;
    }
    let e = Env::new();
    e.out(&[
        "run",
        "--name",
        "c",
        "busybox",
        "sh",
        "-c",
        "echo kept > /root/mark",
    ]);
    let tar = e.dir.path().join("c.tar");
    e.out(&["export", "-o", tar.to_str().expect("utf-8"), "c"]);
    let o = e.cmd(&["export", "c"]).output().expect("export to stdout");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        o.stdout,
        std::fs::read(&tar).expect("read"),
        "-o and stdout differ"
    );
    e.out(&["import", tar.to_str().expect("utf-8"), "exported"]);
    assert_eq!(
        e.out(&["run", "--rm", "exported", "cat", "/root/mark"]),
        "kept\n"
    );
    let o = e.rpod(&["export", "nosuch"]);
    assert_eq!(code(&o), 125);
    // A terminal on stdout is refused with podman's words (script(1) gives rpod a pty).
    if rpod_tests::require("script", Path::new("/usr/bin/script").is_file()) {
        let root = e.dir.path().join("root");
        let run = e.dir.path().join("run");
        let cmd = format!(
            "{} --root {} --runroot {} export c",
            env!("CARGO_BIN_EXE_rpod"),
            root.display(),
            run.display()
        );
        let o = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .expect("script");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("refusing to export to terminal. Use -o flag or redirect"),
            "{text}"
        );
        assert_eq!(code(&o), 125, "{text}");
    }
}

/// podman's `A`/`C`/`D` lines (and JSON), leaving out what the engine mounts over.
#[test]
fn diff_lists_what_a_container_added_changed_and_deleted_as_podman() {
    if !ready() {
        return;
    }
    let e = Env::new();
    e.out(&[
        "run",
        "--name",
        "c",
        "busybox",
        "sh",
        "-c",
        "echo x > /tmp/new; rm /etc/group; mkdir -p /root/d; ln -s /etc /root/evil",
    ]);
    assert_eq!(
        e.out(&["diff", "c"]),
        "C /etc\nD /etc/group\nC /root\nA /root/d\nA /root/evil\nC /tmp\nA /tmp/new\n"
    );
    let j: serde_json::Value =
        serde_json::from_str(&e.out(&["diff", "--format", "json", "c"])).expect("json");
    assert_eq!(
        j,
        serde_json::json!({
            "changed": ["/etc", "/root", "/tmp"],
            "added": ["/root/d", "/root/evil", "/tmp/new"],
            "deleted": ["/etc/group"],
        })
    );
    let o = e.rpod(&["diff", "nosuch"]);
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains("nosuch not found: layer not known"),
        "{}",
        stderr(&o)
    );
}

/// `commit` makes an image with the container's changes on top (an added file is there, a
/// deleted one is not, through a whiteout), the `--change`s applied, and the author in its
/// history (a message is refused, as podman's OCI format does); `diff` of the image shows the same top layer.
#[test]
fn commit_makes_an_image_that_shows_the_containers_changes() {
    if !ready() {
        return;
    }
    let e = Env::new();
    e.out(&[
        "run",
        "--name",
        "c",
        "busybox",
        "sh",
        "-c",
        "echo committed > /root/new; rm /etc/group; mkdir /opq; echo 1 > /opq/f",
    ]);
    // As podman 4.3: a message needs the docker format, which rpod does not store.
    let o = e.rpod(&["commit", "-m", "the message", "c", "next"]);
    assert_eq!(code(&o), 125);
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("messages are only compatible with the docker image format (-f docker)"),
        "{o:?}"
    );
    let id = e.out(&[
        "commit",
        "--author",
        "someone",
        "-c",
        "ENV=FOO=bar",
        "c",
        "next",
    ]);
    assert_eq!(id.trim().len(), 64, "{id}");
    assert_eq!(
        e.out(&["run", "--rm", "next", "cat", "/root/new"]),
        "committed\n"
    );
    let o = e.rpod(&["run", "--rm", "next", "cat", "/etc/group"]);
    assert_ne!(code(&o), 0, "a deleted file came back");
    assert_eq!(
        e.out(&["run", "--rm", "next", "sh", "-c", "echo $FOO"]),
        "bar\n"
    );
    let img: serde_json::Value =
        serde_json::from_str(&e.out(&["image", "inspect", "next"])).expect("json");
    let text = img.to_string();
    assert!(text.contains("someone"), "{text}");
    assert_eq!(
        e.out(&["diff", "next"]),
        "C /etc\nD /etc/group\nA /opq\nA /opq/f\nC /root\nA /root/new\n"
    );
    // A second commit on top of the committed image: layers stack.
    e.out(&["run", "--name", "c2", "next", "rm", "/root/new"]);
    e.out(&["commit", "-q", "c2", "third"]);
    let o = e.rpod(&["run", "--rm", "third", "cat", "/root/new"]);
    assert_ne!(code(&o), 0);
    // As podman's: the container's Cmd and Env without the engine's HOME, and "FROM image"
    // as the comment when no -m is given.
    let img: serde_json::Value =
        serde_json::from_str(&e.out(&["image", "inspect", "third"])).expect("json");
    assert_eq!(
        img[0]["Config"]["Cmd"],
        serde_json::json!(["rm", "/root/new"])
    );
    let env = img[0]["Config"]["Env"].to_string();
    assert!(env.contains("FOO=bar") && !env.contains("HOME="), "{env}");
    let history = img[0]["History"].as_array().expect("history");
    assert_eq!(history.len(), 3, "{history:?}");
    assert_eq!(history[2]["comment"], "FROM localhost/next:latest");
    // --format docker: a Docker v2 schema 2 manifest (podman's ManifestType), -m its comment.
    e.out(&["commit", "--format", "docker", "-m", "msg", "c2", "x"]);
    let img: serde_json::Value =
        serde_json::from_str(&e.out(&["image", "inspect", "x"])).expect("json");
    assert_eq!(
        img[0]["ManifestType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(img[0]["Comment"], "msg");
    let o = e.rpod(&["commit", "--format", "bogus", "c2", "y"]);
    assert_eq!(code(&o), 125);
}
