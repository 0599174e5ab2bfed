//! The listing and inspection commands as podman users script them (issue 13): `ps`,
//! `images`, `inspect`, `system df`, `version`, `info`, with podman's field names in Go
//! templates, its filters, sort keys, columns and wording. Each test builds its own store
//! with a busybox image (root, runc) and a labelled image made from it.

use std::collections::BTreeSet;

use serde_json::Value;

mod support;
use support::{code, eventually, ready, Env, RemoveAll};

/// A store with `busybox` and `labelled` (`tier=web`, `ENV GREETING=hi`), and three
/// containers from them: `web` running (labelled), `done` exited 3, `cr` created.
fn three_containers() -> Env {
    let e = Env::new();
    // Image times are whole seconds: `since`/`before` need `labelled` a second newer.
    let v: Value = serde_json::from_str(&e.out(&["images", "--format", "json"])).expect("json");
    let busybox_created = v[0]["Created"].as_i64().expect("Created");
    eventually("the next second", || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        (i64::try_from(now).expect("secs") > busybox_created).then_some(())
    });
    // import dates an image by its tarball's modification time (as podman): a fresh copy,
    // written after that second, is newer than busybox.
    let tar = e.dir.path().join("labelled.tar");
    std::fs::copy(e.dir.path().join("busybox.tar"), &tar).expect("copy busybox.tar");
    e.out(&[
        "import",
        tar.to_str().expect("utf8"),
        "labelled",
        "--change",
        "LABEL tier=web",
        "--change",
        "ENV GREETING=hi",
        "--change",
        "CMD [\"/bin/sh\"]",
    ]);
    e.out(&["run", "-d", "--name", "web", "labelled", "sleep", "600"]);
    assert_eq!(
        code(&e.rpod(&["run", "--name", "done", "busybox", "sh", "-c", "exit 3"])),
        3
    );
    e.out(&["create", "--name", "cr", "busybox", "true"]);
    e
}

impl Env {
    fn lines(&self, args: &[&str]) -> Vec<String> {
        self.out(args).lines().map(str::to_owned).collect()
    }

    fn fails(&self, args: &[&str]) -> String {
        let o = self.rpod(args);
        assert_eq!(code(&o), 125, "rpod {args:?} should fail with 125");
        String::from_utf8_lossy(&o.stderr).into_owned()
    }

    fn id_of(&self, name: &str) -> String {
        self.out(&["inspect", "--format", "{{.Id}}", name])
            .trim()
            .to_owned()
    }
}

#[test]
fn ps_templates_see_podmans_field_names_and_values() {
    if !ready() {
        return;
    }
    let e = three_containers();
    let _c = RemoveAll(&e);
    let row = |name: &str, template: &str| {
        e.out(&[
            "ps",
            "-a",
            "--filter",
            &format!("name=^{name}$"),
            "--format",
            template,
        ])
        .trim_end()
        .to_owned()
    };
    let id = e.id_of("done");
    assert_eq!(row("done", "{{.ID}}"), id[..12], "ID is the short id");
    assert_eq!(
        e.out(&[
            "ps",
            "-a",
            "--no-trunc",
            "--filter",
            "name=done",
            "--format",
            "{{.ID}}"
        ])
        .trim(),
        id,
        "--no-trunc: the full id"
    );
    assert_eq!(row("done", "{{.Names}}"), "done");
    assert_eq!(row("done", "{{.Image}}"), "localhost/busybox:latest");
    assert_eq!(row("done", "{{.Command}}"), "sh -c exit 3");
    assert_eq!(row("done", "{{.ExitCode}} {{.Exited}}"), "3 true");
    assert_eq!(row("cr", "{{.ExitCode}} {{.Exited}} {{.Pid}}"), "0 false 0");
    assert!(row("done", "{{.Status}}").starts_with("Exited (3) "));
    assert!(row("done", "{{.Status}}").ends_with(" ago"));
    assert_eq!(row("cr", "{{.Status}}"), "Created");
    assert!(
        row("web", "{{.Status}}").starts_with("Up "),
        "{}",
        row("web", "{{.Status}}")
    );
    assert!(row("web", "{{.Pid}}").parse::<i32>().expect("pid") > 0);
    assert_eq!(row("web", "{{.Labels.tier}}"), "web");
    assert_eq!(row("web", "{{.ImageID}}").len(), 12);
    assert_eq!(
        e.out(&["image", "inspect", "--format", "{{.Id}}", "labelled"])
            .trim()[..12],
        row("web", "{{.ImageID}}")
    );
    // Go's time.Time text: 2026-12-07 17:03:23.658639382 +0000 UTC
    let created = row("cr", "{{.CreatedAt}}");
    assert!(
        created.len() > 25 && created.ends_with(" +0000 UTC") && created.as_bytes()[10] == b' ',
        "{created}"
    );
    assert!(row("cr", "{{.CreatedHuman}}").ends_with(" ago"));
    // One run, so both read the same clock.
    let both = row("cr", "{{.RunningFor}}|{{.CreatedHuman}}");
    let (running_for, human) = both.split_once('|').expect("two fields");
    assert_eq!(running_for, human);
    // podman cuts COMMAND at 17 characters unless --no-trunc.
    e.out(&[
        "create",
        "--name",
        "long",
        "busybox",
        "echo",
        "0123456789abcdef",
    ]);
    assert_eq!(row("long", "{{.Command}}"), "echo 0123456789ab...");
    assert_eq!(
        e.out(&[
            "ps",
            "-a",
            "--no-trunc",
            "--filter",
            "name=long",
            "--format",
            "{{.Command}}"
        ])
        .trim(),
        "echo 0123456789abcdef"
    );
    e.out(&["rm", "long"]);
}

#[test]
fn ps_prints_podmans_columns_and_status_wording() {
    if !ready() {
        return;
    }
    let e = three_containers();
    let _c = RemoveAll(&e);
    let lines = e.lines(&["ps", "-a"]);
    let header: Vec<&str> = lines[0]
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "CONTAINER ID",
            "IMAGE",
            "COMMAND",
            "CREATED",
            "STATUS",
            "PORTS",
            "NAMES"
        ]
    );
    // Oldest first, as podman lists without --sort.
    let names: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.rsplit(' ').next().expect("name"))
        .collect();
    assert_eq!(names, ["web", "done", "cr"]);
    assert!(lines[1].contains(" Up "), "{}", lines[1]);
    assert!(lines[2].contains(" Exited (3) "), "{}", lines[2]);
    assert!(lines[3].contains(" Created "), "{}", lines[3]);
    // Without -a only running containers.
    assert_eq!(e.lines(&["ps"]).len(), 2);
    assert_eq!(e.lines(&["ps", "-a", "--noheading"]).len(), 3);
    let q = e.lines(&["ps", "-a", "-q"]);
    assert_eq!(q.len(), 3);
    assert!(q.iter().all(|id| id.len() == 12), "{q:?}");
    assert!(e
        .lines(&["ps", "-a", "-q", "--no-trunc"])
        .iter()
        .all(|id| id.len() == 64));
    // A `table` template has headers from the field names, podman's where it renames them.
    let t = e.lines(&[
        "ps",
        "-a",
        "--format",
        "table {{.ID}}\t{{.Names}}\t{{.CreatedHuman}}",
    ]);
    let header: Vec<&str> = t[0]
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(header, ["CONTAINER ID", "NAMES", "CREATED"]);
    assert_eq!(t.len(), 4);
    let t = e.lines(&["ps", "-a", "--noheading", "--format", "table {{.ID}}"]);
    assert_eq!(t.len(), 3, "--noheading drops a table's header");
    // A plain template has no header.
    assert_eq!(
        e.lines(&["ps", "-a", "--format", "{{.Names}}"]),
        ["web", "done", "cr"]
    );
    // -s adds SIZE.
    let s = e.lines(&["ps", "-a", "-s"]);
    assert!(s[0].ends_with("SIZE"), "{}", s[0]);
    assert!(s[1].contains("(virtual "), "{}", s[1]);
}

#[test]
fn ps_filters_or_the_values_of_a_key_and_and_the_keys() {
    if !ready() {
        return;
    }
    let e = three_containers();
    let _c = RemoveAll(&e);
    let names = |filters: &[&str]| -> BTreeSet<String> {
        let mut args = vec!["ps", "-a", "--format", "{{.Names}}"];
        for f in filters {
            args.extend(["--filter", f]);
        }
        e.lines(&args).into_iter().collect()
    };
    let set = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
    assert_eq!(names(&["name=web"]), set(&["web"]));
    assert_eq!(names(&["name=web", "name=cr"]), set(&["web", "cr"]));
    assert_eq!(
        names(&["name=^d"]),
        set(&["done"]),
        "name is a regular expression"
    );
    assert_eq!(names(&["name=web", "status=created"]), set(&[]));
    assert_eq!(names(&["status=exited"]), set(&["done"]));
    assert_eq!(names(&["status=running"]), set(&["web"]));
    assert_eq!(
        names(&["status=created", "status=running"]),
        set(&["cr", "web"])
    );
    assert_eq!(names(&["exited=3"]), set(&["done"]));
    assert_eq!(names(&["exited=0"]), set(&[]));
    let id = e.id_of("cr");
    assert_eq!(names(&[&format!("id={}", &id[..8])]), set(&["cr"]));
    assert_eq!(names(&["ancestor=labelled"]), set(&["web"]));
    assert_eq!(names(&["ancestor=busybox"]), set(&["done", "cr"]));
    assert_eq!(names(&["label=tier"]), set(&["web"]));
    assert_eq!(names(&["label=tier=web"]), set(&["web"]));
    assert_eq!(names(&["label=tier=db"]), set(&[]));
    assert_eq!(names(&["before=done"]), set(&["web"]));
    assert_eq!(names(&["since=web"]), set(&["done", "cr"]));
    assert_eq!(names(&["pod=nopod"]), set(&[]));
    // A status filter looks at every container without -a (podman follows Docker).
    assert_eq!(
        e.lines(&["ps", "--filter", "status=exited", "--format", "{{.Names}}"]),
        ["done"]
    );
    let err = e.fails(&["ps", "--filter", "colour=red"]);
    assert!(
        err.contains("colour is an invalid filter")
            && err.contains("ancestor, before, exited, id, label, name, pod, since, status"),
        "{err}"
    );
    assert!(e
        .fails(&["ps", "--filter", "status=bogus"])
        .contains("bogus"));
    assert!(e
        .fails(&["ps", "--filter", "name"])
        .contains("invalid filter"));
}

#[test]
fn ps_sorts_by_podmans_keys_and_last_shows_the_newest() {
    if !ready() {
        return;
    }
    let e = three_containers();
    let _c = RemoveAll(&e);
    let order = |extra: &[&str]| {
        let mut args = vec!["ps", "-a", "--format", "{{.Names}}"];
        args.extend_from_slice(extra);
        e.lines(&args)
    };
    assert_eq!(order(&["--sort", "names"]), ["cr", "done", "web"]);
    assert_eq!(order(&["--sort", "created"]), ["cr", "done", "web"]);
    assert_eq!(order(&["--sort", "command"]), ["done", "web", "cr"]);
    assert_eq!(order(&["--sort", "image"]), ["done", "cr", "web"]);
    assert_eq!(order(&["--sort", "status"])[0], "cr");
    assert_eq!(order(&["--last", "2"]), ["cr", "done"]);
    assert_eq!(e.lines(&["ps", "-l", "--format", "{{.Names}}"]), ["cr"]);
    let o = e.rpod(&["ps", "--sort", "bogus"]);
    assert_eq!(code(&o), 125);
}

#[test]
fn ps_json_has_podmans_list_container_keys() {
    if !ready() {
        return;
    }
    let e = three_containers();
    let _c = RemoveAll(&e);
    let v: Value = serde_json::from_str(&e.out(&["ps", "-a", "--format", "json"])).expect("json");
    let done = v
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["Names"][0] == "done")
        .expect("done listed");
    assert_eq!(done["State"], "exited");
    assert_eq!(done["ExitCode"], 3);
    assert_eq!(done["Exited"], true);
    assert!(done["Status"]
        .as_str()
        .expect("Status")
        .starts_with("Exited (3)"));
    assert!(done["Created"].is_i64());
    assert!(done["CreatedAt"]
        .as_str()
        .expect("CreatedAt")
        .ends_with(" ago"));
    assert_eq!(done["Id"].as_str().expect("Id").len(), 64);
    assert_eq!(done["ImageID"].as_str().expect("ImageID").len(), 64);
    assert_eq!(done["Command"], serde_json::json!(["sh", "-c", "exit 3"]));
    assert_eq!(done["Seccomp"], "default", "rpod's own key stays");
    for key in [
        "Labels",
        "Mounts",
        "Pod",
        "PodName",
        "Ports",
        "StartedAt",
        "ExitedAt",
        "AutoRemove",
    ] {
        assert!(done.get(key).is_some(), "no {key} in {done}");
    }
}

#[test]
fn images_lists_every_name_with_podmans_columns_filters_and_sort() {
    if !ready() {
        return;
    }
    let e = three_containers();
    let _c = RemoveAll(&e);
    e.out(&["tag", "busybox", "other:v1"]);
    let lines = e.lines(&["images"]);
    let header: Vec<&str> = lines[0]
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(header, ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines
        .iter()
        .any(|l| l.starts_with("localhost/other ") && l.contains(" v1 ")));
    // -q: each image once.
    let q = e.lines(&["images", "-q"]);
    assert_eq!(q.len(), 2, "{q:?}");
    assert!(q.iter().all(|id| id.len() == 12));
    assert!(e
        .lines(&["images", "-q", "--no-trunc"])
        .iter()
        .all(|id| id.starts_with("sha256:") && id.len() == 71));
    let rows = |extra: &[&str]| {
        let mut args = vec!["images", "--format", "{{.Repository}}:{{.Tag}}"];
        args.extend_from_slice(extra);
        e.lines(&args)
    };
    assert_eq!(
        rows(&["--sort", "repository"]),
        [
            "localhost/busybox:latest",
            "localhost/labelled:latest",
            "localhost/other:v1"
        ]
    );
    assert_eq!(rows(&["--sort", "tag"])[2], "localhost/other:v1");
    assert_eq!(
        rows(&["--filter", "reference=labelled"]),
        ["localhost/labelled:latest"]
    );
    assert_eq!(
        rows(&["--filter", "reference=*elled"]),
        ["localhost/labelled:latest"]
    );
    // A filter picks images: the busybox image has both names.
    assert_eq!(
        rows(&["--filter", "reference=other", "--sort", "repository"]),
        ["localhost/busybox:latest", "localhost/other:v1"]
    );
    assert_eq!(
        rows(&["--filter", "label=tier=web"]),
        ["localhost/labelled:latest"]
    );
    assert_eq!(rows(&["--filter", "dangling=true"]), Vec::<String>::new());
    assert_eq!(rows(&["--filter", "dangling=false"]).len(), 3);
    assert_eq!(
        rows(&["--filter", "since=busybox"]),
        ["localhost/labelled:latest"]
    );
    assert_eq!(
        rows(&["--filter", "before=labelled", "--sort", "repository"]),
        ["localhost/busybox:latest", "localhost/other:v1"]
    );
    let err = e.fails(&["images", "--filter", "colour=red"]);
    assert!(
        err.contains("before, dangling, label, reference, since"),
        "{err}"
    );
    // Template fields.
    let f = e.out(&[
        "images",
        "--filter",
        "reference=labelled",
        "--format",
        "{{.ID}}|{{.Digest}}|{{.Size}}|{{.Containers}}|{{.Labels.tier}}|{{.Dangling}}|{{.CreatedSince}}",
    ]);
    let parts: Vec<&str> = f.trim().split('|').collect();
    assert_eq!(parts[0].len(), 12, "{f}");
    assert!(parts[1].starts_with("sha256:"), "{f}");
    assert!(parts[2].ends_with("MB") || parts[2].ends_with("kB"), "{f}");
    assert_eq!(&parts[3..6], ["1", "web", "false"], "{f}");
    assert!(parts[6].ends_with(" ago"), "{f}");
    let t = e.lines(&["images", "--format", "table {{.ID}}\t{{.Repository}}"]);
    assert!(
        t[0].starts_with("IMAGE ID") && t[0].ends_with("REPOSITORY"),
        "{}",
        t[0]
    );
    let v: Value = serde_json::from_str(&e.out(&["images", "--format", "json"])).expect("json");
    assert_eq!(
        v.as_array().expect("array").len(),
        2,
        "json: one entry per image"
    );
}

#[test]
fn inspect_has_podmans_container_and_image_shapes() {
    if !ready() {
        return;
    }
    let e = three_containers();
    let _c = RemoveAll(&e);
    let f = |name: &str, t: &str| {
        e.out(&["inspect", "--format", t, name])
            .trim_end()
            .to_owned()
    };
    assert_eq!(
        f(
            "done",
            "{{.State.ExitCode}} {{.State.Status}} {{.State.Running}}"
        ),
        "3 exited false"
    );
    assert_eq!(f("web", "{{.State.Running}} {{.Name}}"), "true web");
    // podman: Path is the first word, Args the rest.
    assert_eq!(
        f("done", "{{.Path}} {{json .Args}}"),
        r#"sh ["-c","exit 3"]"#
    );
    assert_eq!(
        f("web", "{{.Config.Labels.tier}} {{.ImageName}}"),
        "web localhost/labelled:latest"
    );
    assert_eq!(
        f(
            "web",
            "{{range .Config.Env}}{{if eq . \"GREETING=hi\"}}found{{end}}{{end}}"
        ),
        "found"
    );
    let config: Value = serde_json::from_str(&f("web", "{{json .Config}}")).expect("json .Config");
    assert_eq!(config["Cmd"], serde_json::json!(["sleep", "600"]));
    assert_eq!(
        f(
            "web",
            "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.PidMode}}"
        ),
        "false private"
    );
    assert_eq!(
        f("web", "{{.Seccomp.Profile}}"),
        "default",
        "rpod's own key stays"
    );
    // Image inspect.
    assert_eq!(
        f("labelled", "{{.RootFS.Type}} {{.Config.Labels.tier}}"),
        "layers web"
    );
    assert_eq!(
        e.out(&["image", "inspect", "--format", "{{.RepoTags}}", "busybox"])
            .trim(),
        f("busybox", "{{.RepoTags}}")
    );
    // --type picks what a name may be.
    assert!(e
        .fails(&["inspect", "--type", "image", "web"])
        .contains("web: image not known"));
    assert!(e
        .fails(&["container", "inspect", "busybox"])
        .contains("no such container busybox"));
    assert!(e
        .fails(&["inspect", "nope"])
        .contains("no such object: \"nope\""));
    // What was found is printed before the error, as podman does.
    let o = e.rpod(&["inspect", "--format", "{{.Name}}", "web", "nope"]);
    assert_eq!(
        (code(&o), String::from_utf8_lossy(&o.stdout).as_ref()),
        (125, "web\n")
    );
    // --size.
    // Without --size, podman's nil and zero.
    assert_eq!(f("web", "{{.SizeRw}} {{.SizeRootFs}}"), "<nil> 0");
    let o = e.out(&[
        "inspect",
        "--size",
        "--format",
        "{{.SizeRw}} {{.SizeRootFs}}",
        "web",
    ]);
    let n: Vec<u64> = o
        .split_whitespace()
        .map(|x| x.parse().expect("a number"))
        .collect();
    assert!(n[1] > 0, "{o}");
    // The JSON keeps podman's top-level keys.
    let v: Value = serde_json::from_str(&e.out(&["inspect", "done"])).expect("json");
    for key in [
        "Id",
        "Created",
        "Path",
        "Args",
        "State",
        "Image",
        "ImageName",
        "Name",
        "RestartCount",
        "Driver",
        "MountLabel",
        "ProcessLabel",
        "AppArmorProfile",
        "Mounts",
        "Config",
        "HostConfig",
        "GraphDriver",
    ] {
        assert!(v[0].get(key).is_some(), "no {key}");
    }
    for key in [
        "Status",
        "Running",
        "Paused",
        "Restarting",
        "OOMKilled",
        "Dead",
        "Pid",
        "ExitCode",
        "Error",
        "StartedAt",
        "FinishedAt",
    ] {
        assert!(v[0]["State"].get(key).is_some(), "no State.{key}");
    }
}

#[test]
fn system_df_version_and_info_answer_podmans_templates() {
    if !ready() {
        return;
    }
    let e = three_containers();
    let _c = RemoveAll(&e);
    let df = e.lines(&["system", "df"]);
    let header: Vec<&str> = df[0]
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(header, ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]);
    assert!(
        df[1].starts_with("Images ") && df[2].starts_with("Containers "),
        "{df:?}"
    );
    assert_eq!(
        e.lines(&[
            "system",
            "df",
            "--format",
            "{{.Type}} {{.Total}} {{.Active}}"
        ])[..2],
        ["Images 2 2", "Containers 3 1"]
    );
    let v = e.out(&["system", "df", "-v"]);
    assert!(
        v.contains("Images space usage:") && v.contains("Containers space usage:"),
        "{v}"
    );
    assert_eq!(
        e.out(&["version", "--format", "{{.Client.Version}}"])
            .trim(),
        env!("CARGO_PKG_VERSION")
    );
    let version = e.out(&["version"]);
    assert!(
        version.contains("Version:") && version.contains("OS/Arch:      linux/"),
        "{version}"
    );
    let root = e.dir.path().join("root");
    let info = e.out(&[
        "info",
        "--format",
        "{{.Host.Arch}}|{{.Store.GraphRoot}}|{{.Version.Version}}|{{.Host.Security.SECCOMPEnabled}}|{{.Store.ImageStore.Number}}|{{.Store.ContainerStore.Number}}|{{.Host.OCIRuntime.Name}}|{{.Host.Security.Rootless}}",
    ]);
    let arch = if cfg!(target_arch = "x86_64") {
        "amd64"
    } else {
        std::env::consts::ARCH
    };
    assert_eq!(
        info.trim(),
        format!(
            "{arch}|{}|{}|true|2|3|runc|false",
            root.display(),
            env!("CARGO_PKG_VERSION")
        )
    );
    let j: Value = serde_json::from_str(&e.out(&["info", "--format", "json"])).expect("json");
    assert_eq!(j["host"]["arch"], arch, "json uses podman's json tags");
    assert_eq!(j["store"]["graphRoot"], root.display().to_string());
    assert!(j["host"]["kernel"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(["v1", "v2"].contains(&j["host"]["cgroupVersion"].as_str().expect("cgroupVersion")));
    assert_eq!(
        e.out(&["system", "info", "--format", "{{.Store.RunRoot}}"])
            .trim(),
        e.dir.path().join("run").display().to_string()
    );
    let text = e.out(&["info"]);
    assert!(text.starts_with("host:\n  arch: "), "{text}");
}

/// `images NAME` is `images --filter reference=NAME`; importing the same file twice gives the
/// same image (dated by the file, as podman), so nothing is left dangling; `history` prints
/// podman's columns and template fields, newest entry first with the image's id.
#[test]
fn images_by_name_same_file_import_and_history_as_podman() {
    if !ready() {
        return;
    }
    let e = Env::new();
    // A copy: a file of its own time (busybox.tar itself is the busybox image).
    let tar = e.dir.path().join("again.tar");
    std::fs::copy(e.dir.path().join("busybox.tar"), &tar).expect("copy busybox.tar");
    let tar = tar.to_str().expect("utf8");
    let first = e.out(&["import", tar, "again:1"]);
    let second = e.out(&["import", tar, "again:1"]);
    assert_eq!(first, second, "the same file is the same image");
    assert_eq!(
        e.out(&["images", "--filter", "dangling=true", "-q"]),
        "",
        "nothing lost its name"
    );
    let names = |args: &[&str]| {
        let mut a = vec!["images", "--format", "{{.Repository}}:{{.Tag}}"];
        a.extend_from_slice(args);
        e.lines(&a)
    };
    assert_eq!(names(&["again"]), ["localhost/again:1"]);
    assert_eq!(names(&["localhost/again:1"]), ["localhost/again:1"]);
    assert_eq!(names(&["nosuch"]), Vec::<String>::new());
    assert_eq!(
        e.lines(&["image", "ls", "-q", "again"]),
        [first.trim().trim_start_matches("sha256:")[..12].to_owned()]
    );

    let id = first.trim().trim_start_matches("sha256:").to_owned();
    let lines = e.lines(&["history", "again:1"]);
    let header: Vec<&str> = lines[0]
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(header, ["ID", "CREATED", "CREATED BY", "SIZE", "COMMENT"]);
    assert!(lines[1].starts_with(&id[..12]), "{lines:?}");
    assert_eq!(
        e.out(&["image", "history", "-q", "--no-trunc", "again:1"]),
        format!("{id}\n")
    );
    let f = e.out(&[
        "history",
        "--format",
        "{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Tags}}|{{.Comment}}",
        "again:1",
    ]);
    let parts: Vec<&str> = f.trim_end().split('|').collect();
    assert_eq!(parts[0], &id[..12], "{f}");
    assert_eq!(parts[1], "rpod import", "{f}");
    assert!(
        parts[2].ends_with(" MB") || parts[2].ends_with(" kB"),
        "{f}"
    );
    assert_eq!(parts[3], "[localhost/again:1]", "{f}");
    let t = e.lines(&[
        "history",
        "--format",
        "table {{.ID}} {{.CreatedBy}}",
        "again:1",
    ]);
    assert!(
        t[0].starts_with("ID") && t[0].ends_with("CREATED BY"),
        "{t:?}"
    );
    let v: Value =
        serde_json::from_str(&e.out(&["history", "--format", "json", "again:1"])).expect("json");
    assert_eq!(v[0]["id"], Value::String(id));
    assert_eq!(v[0]["CreatedBy"], "rpod import");
    let err = e.fails(&["history", "nosuch"]);
    assert!(err.contains("nosuch"), "{err}");
}
