//! `rpod inspect` and `rpod image inspect`.

use serde_json::json;

use crate::cli::container::InspectArgs;
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::image;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

fn secs(t: Option<std::time::SystemTime>) -> serde_json::Value {
    t.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(serde_json::Value::Null, |d| json!(d.as_secs()))
}

pub fn run(
    store: &Store,
    rt: &dyn Runtimes,
    a: &InspectArgs,
    containers_first: bool,
) -> anyhow::Result<ExitStatus> {
    let mut out = Vec::new();
    for name in &a.names {
        if containers_first {
            if let Ok(record) = store.lookup_container(name) {
                let container = Container::reconciled(store, rt, record)?;
                let m = container.meta()?;
                let c = container.record();
                let spec: serde_json::Value = std::fs::read_to_string(c.bundle.join("config.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or(serde_json::Value::Null);
                out.push(json!({
                    "Id": c.id,
                    "Name": c.name,
                    "Image": c.image_id,
                    "ImageName": m.image,
                    "Created": secs(Some(c.created)),
                    "Path": m.command.first(),
                    "Args": m.command.get(1..).unwrap_or(&[]),
                    "State": {
                        "Status": c.state.as_str(),
                        "Running": c.state == rpod::storage::ContainerState::Running,
                        "Pid": c.pid.unwrap_or(0),
                        "ExitCode": c.exit_code,
                        "StartedAt": secs(c.started_at),
                        "FinishedAt": secs(c.finished_at),
                    },
                    "RestartCount": container.restart_count(),
                    "Config": {
                        "Labels": m.settings.labels,
                        // podman prints the number.
                        "StopSignal": container.stop_signal() as i32,
                        "StopTimeout": container.stop_timeout().as_secs(),
                        "Timeout": m.settings.timeout.unwrap_or(0),
                    },
                    "HostConfig": {
                        "RestartPolicy": {
                            "Name": m.settings.restart.name(),
                            "MaximumRetryCount": m.settings.restart.max_retries(),
                        },
                        "LogConfig": {
                            "Type": m.settings.log_driver.as_str(),
                            "Path": m.log_path,
                            "Tag": m.settings.log_tag.as_deref().unwrap_or(""),
                            "Size": m.settings.log_max_size,
                        },
                    },
                    "OCIRuntime": c.runtime,
                    "Bundle": c.bundle,
                    "Rootfs": m.rootfs,
                    "LogPath": m.log_path,
                    "AutoRemove": m.rm,
                    "Seccomp": { "Profile": m.seccomp.profile, "Digest": m.seccomp.digest },
                    // The recording the monitor makes (io.containers.trace-syscall), if any.
                    "TraceSyscall": m.trace.as_ref().map(|t| json!({
                        "Input": t.input,
                        "Output": t.output,
                        "Args": t.args.keys().collect::<Vec<_>>(),
                    })),
                    "OCIConfig": spec,
                }));
                continue;
            }
        }
        let i = image::inspect(store, name)?;
        out.push(serde_json::to_value(i)?);
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitStatus::Success)
}
