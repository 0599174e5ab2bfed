use std::collections::{BTreeMap, BTreeSet};

use oci_spec::runtime::{LinuxNamespaceType, RootBuilder};
use profiles::Arch;

use super::*;

/// A machine like this one: x86_64, every capability but CAP_SYS_RESOURCE, nofile hard limit
/// 20000, cgroup v1 with the pids controller.
fn host() -> Host {
    Host {
        arch: Arch::X86_64,
        kernel: None,
        bounding_caps: profiles::caps::CAPABILITIES
            .iter()
            .map(|(n, _)| (*n).to_string())
            .filter(|n| n != "CAP_SYS_RESOURCE")
            .collect::<BTreeSet<_>>(),
        can_raise_rlimits: false,
        hard_limits: BTreeMap::from([(UlimitKind::Nofile, 20000), (UlimitKind::Nproc, 96365)]),
        cgroup2: false,
        pids_controller: true,
    }
}

/// A busybox-like rootfs with the passwd and group files the end-to-end tests use.
fn rootfs() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("etc")).unwrap();
    std::fs::write(
        d.path().join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
    )
    .unwrap();
    std::fs::write(d.path().join("etc/group"), "root:x:0:\nnogroup:x:65534:\n").unwrap();
    d
}

fn spec(c: &ContainerConfig) -> Spec {
    let r = rootfs();
    c.to_oci_on(r.path(), &host())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn err(c: &ContainerConfig) -> String {
    let r = rootfs();
    c.to_oci_on(r.path(), &host()).unwrap_err().to_string()
}

fn json(s: &Spec) -> serde_json::Value {
    serde_json::from_str(&to_json(s).unwrap()).unwrap()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn mount_of<'a>(s: &'a Spec, dst: &str) -> Option<&'a Mount> {
    s.mounts()
        .as_deref()
        .unwrap()
        .iter()
        .find(|m| m.destination() == Path::new(dst))
}

fn namespaces(s: &Spec) -> Vec<(LinuxNamespaceType, Option<PathBuf>)> {
    s.linux()
        .as_ref()
        .unwrap()
        .namespaces()
        .as_deref()
        .unwrap()
        .iter()
        .map(|n| (n.typ(), n.path().clone()))
        .collect()
}

fn env(s: &Spec) -> Vec<String> {
    s.process().as_ref().unwrap().env().clone().unwrap()
}

/// The whole default config.json for `busybox sh`, reviewed line by line: podman's defaults,
/// the default seccomp profile resolved for podman's capability set on x86_64.
#[test]
fn golden_default_config_for_busybox_sh() {
    let mut c = ContainerConfig::new(["sh"]);
    c.hostname = Some("0123456789ab".into());
    let mut s = spec(&c);
    // The rootfs is a temporary directory; show where rpod would put it.
    s.set_root(Some(
        RootBuilder::default()
            .path("/var/lib/rpod/overlay/0123456789ab/merged")
            .readonly(false)
            .build()
            .unwrap(),
    ));
    insta::assert_snapshot!("default_busybox_sh", to_json(&s).unwrap());
}

#[test]
fn json_is_deterministic() {
    let mut c = ContainerConfig::new(["sh"]);
    c.annotations = (0..20)
        .map(|i| (format!("k{i:02}"), i.to_string()))
        .collect();
    c.cap_add = vec!["ALL".into()];
    let r = rootfs();
    let once = || to_json(&c.to_oci_on(r.path(), &host()).unwrap()).unwrap();
    let first = once();
    for _ in 0..5 {
        assert_eq!(once(), first);
    }
    let j: serde_json::Value = serde_json::from_str(&first).unwrap();
    let keys: Vec<&String> = j["annotations"].as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let bounding = strings(&j["process"]["capabilities"]["bounding"]);
    assert_eq!(bounding[0], "CAP_CHOWN");
    assert_eq!(bounding.last().unwrap(), "CAP_CHECKPOINT_RESTORE");
}

#[test]
fn default_seccomp_and_capabilities_are_podmans() {
    let j = json(&spec(&ContainerConfig::new(["sh"])));
    let caps = &j["process"]["capabilities"];
    let mut want: Vec<&str> = profiles::caps::PODMAN_DEFAULT.to_vec();
    want.sort_by_key(|n| {
        profiles::caps::CAPABILITIES
            .iter()
            .position(|(c, _)| c == n)
            .unwrap()
    });
    for set in ["bounding", "effective", "permitted"] {
        assert_eq!(strings(&caps[set]), want, "{set}");
    }
    assert!(strings(&caps["inheritable"]).is_empty());
    assert!(strings(&caps["ambient"]).is_empty());
    let sec = &j["linux"]["seccomp"];
    assert_eq!(sec["defaultAction"], "SCMP_ACT_ERRNO");
    assert_eq!(sec["defaultErrnoRet"], 38);
    assert_eq!(
        strings(&sec["architectures"]),
        ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    );
    assert_eq!(strings(&j["linux"]["maskedPaths"]), MASKED_PATHS);
    assert_eq!(strings(&j["linux"]["readonlyPaths"]), READONLY_PATHS);
    assert_eq!(j["process"]["noNewPrivileges"], false);
}

#[test]
fn cap_add_and_drop_change_the_sets_and_the_seccomp_rules() {
    let mut c = ContainerConfig::new(["sh"]);
    c.cap_add = vec!["sys_admin".into()];
    c.cap_drop = vec!["CAP_CHOWN".into(), "kill".into()];
    let j = json(&spec(&c));
    let eff = strings(&j["process"]["capabilities"]["effective"]);
    assert!(eff.contains(&"CAP_SYS_ADMIN".to_string()));
    assert!(!eff.contains(&"CAP_CHOWN".to_string()));
    assert!(!eff.contains(&"CAP_KILL".to_string()));
    // podman's profile allows bpf to holders of CAP_SYS_ADMIN.
    let bpf: Vec<&serde_json::Value> = j["linux"]["seccomp"]["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| strings(&r["names"]).contains(&"bpf".to_string()))
        .collect();
    assert_eq!(bpf.len(), 1);
    assert_eq!(bpf[0]["action"], "SCMP_ACT_ALLOW");
}

#[test]
fn a_non_root_user_gets_only_added_capabilities_through_the_ambient_set() {
    let mut c = ContainerConfig::new(["id"]);
    c.user = Some("1000:1000".into());
    c.cap_add = vec!["NET_ADMIN".into()];
    let j = json(&spec(&c));
    let caps = &j["process"]["capabilities"];
    assert!(strings(&caps["bounding"]).len() > 1);
    for set in ["effective", "permitted", "inheritable", "ambient"] {
        assert_eq!(strings(&caps[set]), ["CAP_NET_ADMIN"], "{set}");
    }
    assert_eq!(j["process"]["user"]["uid"], 1000);
    assert_eq!(j["process"]["user"]["gid"], 1000);
    assert_eq!(j["process"]["user"]["umask"], 18);
}

#[test]
fn privileged_is_podmans_privileged() {
    let mut c = ContainerConfig::new(["sh"]);
    c.privileged = true;
    let s = spec(&c);
    let j = json(&s);
    let bounding = strings(&j["process"]["capabilities"]["bounding"]);
    assert_eq!(bounding.len(), profiles::caps::CAPABILITIES.len() - 1);
    assert!(j["linux"].get("seccomp").is_none());
    assert!(strings(&j["linux"]["maskedPaths"]).is_empty());
    assert!(strings(&j["linux"]["readonlyPaths"]).is_empty());
    assert_eq!(j["linux"]["resources"]["devices"][0]["allow"], true);
    assert!(mount_of(&s, "/sys")
        .unwrap()
        .options()
        .as_deref()
        .unwrap()
        .contains(&"rw".to_string()));
    // An explicit profile still applies, as podman's --privileged --security-opt seccomp=FILE.
    c.seccomp = Seccomp::Profile(profiles::default_profile::default_profile());
    assert!(json(&spec(&c))["linux"]["seccomp"].is_object());
}

#[test]
fn unconfined_has_no_seccomp_section() {
    let mut c = ContainerConfig::new(["sh"]);
    c.seccomp = Seccomp::Unconfined;
    assert!(json(&spec(&c))["linux"].get("seccomp").is_none());
}

#[test]
fn a_custom_profile_is_resolved_like_the_default() {
    let p = profiles::load::from_str(
        r#"{"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
                         {"names": ["chown"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_CHOWN"]}}]}"#,
    )
    .unwrap()
    .profile;
    let mut c = ContainerConfig::new(["sh"]);
    c.seccomp = Seccomp::Profile(p);
    let j = json(&spec(&c));
    assert_eq!(
        j["linux"]["seccomp"]["syscalls"],
        serde_json::json!([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}])
    );
    assert_eq!(
        strings(&j["linux"]["seccomp"]["architectures"]),
        ["SCMP_ARCH_X86_64"]
    );
}

#[test]
fn namespace_modes() {
    let mut c = ContainerConfig::new(["sh"]);
    let all = namespaces(&spec(&c));
    assert_eq!(
        all,
        [
            (LinuxNamespaceType::Pid, None),
            (LinuxNamespaceType::Network, None),
            (LinuxNamespaceType::Ipc, None),
            (LinuxNamespaceType::Uts, None),
            (LinuxNamespaceType::Mount, None),
        ]
    );
    c.pid = NamespaceMode::parse("pid", "host").unwrap();
    c.network = "host".parse().unwrap();
    c.ipc = NamespaceMode::parse("ipc", "container:4242").unwrap();
    c.uts = NamespaceMode::parse("uts", "container:/run/rpod/ns/uts").unwrap();
    let s = spec(&c);
    assert_eq!(
        namespaces(&s),
        [
            (
                LinuxNamespaceType::Ipc,
                Some(PathBuf::from("/proc/4242/ns/ipc"))
            ),
            (
                LinuxNamespaceType::Uts,
                Some(PathBuf::from("/run/rpod/ns/uts"))
            ),
            (LinuxNamespaceType::Mount, None),
        ]
    );
    // The joined container's /dev/shm comes along with its IPC namespace.
    let shm = mount_of(&s, "/dev/shm").unwrap();
    assert_eq!(
        shm.source().as_deref(),
        Some(Path::new("/proc/4242/root/dev/shm"))
    );
    c.network = "container:77".parse().unwrap();
    assert!(namespaces(&spec(&c)).contains(&(
        LinuxNamespaceType::Network,
        Some(PathBuf::from("/proc/77/ns/net"))
    )));
    let mut h = host();
    h.cgroup2 = true;
    let r = rootfs();
    let s = ContainerConfig::new(["sh"])
        .to_oci_on(r.path(), &h)
        .unwrap();
    assert!(namespaces(&s).contains(&(LinuxNamespaceType::Cgroup, None)));
}

#[test]
fn namespace_mode_errors() {
    for (kind, v, want) in [
        ("pid", "bridge", "invalid pid namespace mode 'bridge': expected private, host or container:<pid-or-path>"),
        ("uts", "container:web", "invalid uts namespace mode 'container:web': expected container:<pid> or container:<absolute path of a namespace file>"),
        ("ipc", "container:0", "invalid ipc namespace mode 'container:0': pid 0 is not a process"),
    ] {
        assert_eq!(NamespaceMode::parse(kind, v).unwrap_err().to_string(), want);
    }
    assert_eq!(
        NamespaceMode::parse("ipc", "shareable").unwrap(),
        NamespaceMode::Private
    );
    assert!(NamespaceMode::parse("pid", "shareable").is_err());
    assert_eq!(
        "bridge".parse::<NetworkMode>().unwrap_err().to_string(),
        "invalid network mode 'bridge': rpod supports none, host and container:<pid-or-path> so far"
    );
}

#[test]
fn hostname_needs_a_private_uts_namespace() {
    let mut c = ContainerConfig::new(["sh"]);
    c.hostname = Some("web".into());
    let s = spec(&c);
    assert_eq!(s.hostname().as_deref(), Some("web"));
    assert!(env(&s).contains(&"HOSTNAME=web".to_string()));
    c.uts = NamespaceMode::Host;
    assert_eq!(
        err(&c),
        "cannot set the hostname: the container shares another UTS namespace (--uts=host), whose \
         hostname it would change"
    );
}

#[test]
fn volumes_are_bind_mounts_after_the_defaults() {
    let host_dir = tempfile::tempdir().unwrap();
    let mut c = ContainerConfig::new(["sh"]);
    c.volumes = vec![
        format!("{}:/data", host_dir.path().display())
            .parse()
            .unwrap(),
        format!("{}:/ro:ro", host_dir.path().display())
            .parse()
            .unwrap(),
        format!("{}:/dev/shm", host_dir.path().display())
            .parse()
            .unwrap(),
    ];
    let s = spec(&c);
    let mounts = s.mounts().as_deref().unwrap();
    let last: Vec<&Path> = mounts[mounts.len() - 3..]
        .iter()
        .map(|m| m.destination().as_path())
        .collect();
    assert_eq!(
        last,
        [Path::new("/data"), Path::new("/ro"), Path::new("/dev/shm")]
    );
    assert_eq!(
        mount_of(&s, "/ro").unwrap().options().as_deref().unwrap(),
        ["rbind", "rprivate", "ro"]
    );
    // The volume replaced the default tmpfs at /dev/shm.
    assert_eq!(
        mounts
            .iter()
            .filter(|m| m.destination() == Path::new("/dev/shm"))
            .count(),
        1
    );
    c.volumes = vec!["/does/not/exist:/data".parse().unwrap()];
    assert_eq!(err(&c), "volume source /does/not/exist cannot be used");
}

#[test]
fn read_only_rootfs_gets_podmans_tmpfs() {
    let mut c = ContainerConfig::new(["sh"]);
    c.read_only = true;
    let s = spec(&c);
    assert_eq!(s.root().as_ref().unwrap().readonly(), Some(true));
    for dst in ["/tmp", "/var/tmp", "/run"] {
        assert_eq!(mount_of(&s, dst).unwrap().typ().as_deref(), Some("tmpfs"));
    }
    c.read_only_tmpfs = false;
    assert!(mount_of(&spec(&c), "/tmp").is_none());
}

#[test]
fn no_new_privileges() {
    let mut c = ContainerConfig::new(["sh"]);
    c.no_new_privileges = true;
    assert_eq!(
        spec(&c).process().as_ref().unwrap().no_new_privileges(),
        Some(true)
    );
}

#[test]
fn ulimits_never_exceed_the_hard_limit() {
    let mut c = ContainerConfig::new(["sh"]);
    let j = json(&spec(&c));
    assert_eq!(
        j["process"]["rlimits"],
        serde_json::json!([
            {"type": "RLIMIT_NOFILE", "hard": 20000, "soft": 20000},
            {"type": "RLIMIT_NPROC", "hard": 96365, "soft": 96365}
        ])
    );
    c.ulimits = vec![
        "nofile=1024:2048".parse().unwrap(),
        "core=0".parse().unwrap(),
    ];
    let j = json(&spec(&c));
    assert_eq!(
        j["process"]["rlimits"],
        serde_json::json!([
            {"type": "RLIMIT_CORE", "hard": 0, "soft": 0},
            {"type": "RLIMIT_NOFILE", "hard": 2048, "soft": 1024},
            {"type": "RLIMIT_NPROC", "hard": 96365, "soft": 96365}
        ])
    );
    c.ulimits = vec!["nofile=1048576".parse().unwrap()];
    assert!(err(&c)
        .starts_with("ulimit nofile=1048576:1048576 is above this process's hard limit 20000"));
}

#[test]
fn environment_defaults_and_overrides() {
    let mut c = ContainerConfig::new(["sh"]);
    c.env = vec!["PATH=/bin".into(), "A=1".into(), "A=2".into(), "B=".into()];
    assert_eq!(
        env(&spec(&c)),
        ["PATH=/bin", "TERM=xterm", "HOME=/root", "A=2", "B="]
    );
    c.user = Some("nobody".into());
    c.env.clear();
    assert!(env(&spec(&c)).contains(&"HOME=/home".to_string()));
    c.env = vec!["=x".into()];
    assert_eq!(
        err(&c),
        "invalid environment entry '=x': expected KEY=VALUE with a non-empty KEY"
    );
}

#[test]
fn bad_process_settings_are_errors() {
    assert_eq!(
        err(&ContainerConfig::default()),
        "no command given: a container needs at least one argument to run"
    );
    let mut c = ContainerConfig::new(["sh"]);
    c.cwd = Some("work".into());
    assert_eq!(err(&c), "working directory 'work' is not an absolute path");
    c.cwd = None;
    c.user = Some("ghost".into());
    assert_eq!(
        err(&c),
        "invalid user 'ghost': no user 'ghost' in the image's /etc/passwd"
    );
    c.user = None;
    c.cap_add = vec!["SYS_RESOURCE".into()];
    assert!(err(&c).starts_with("cannot add capability CAP_SYS_RESOURCE"));
}

#[test]
fn write_bundle_replaces_config_json_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(&ContainerConfig::new(["sh"]));
    let path = write_bundle(dir.path(), &s).unwrap();
    assert_eq!(path, dir.path().join(CONFIG_FILE));
    let mut c = ContainerConfig::new(["echo", "again"]);
    c.hostname = Some("h".into());
    let s2 = spec(&c);
    write_bundle(dir.path(), &s2).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["config.json"]);
    let back = Spec::load(&path).unwrap();
    assert_eq!(back, s2);
}
