//! The process's own metrics for `/metrics`, under Prometheus' conventional names: resident and virtual memory,
//! open and allowed file descriptors, CPU time and start time, read from `/proc/self` (Linux; elsewhere none).

use std::fmt::Write as _;

/// What `/proc/self` says about this process.
#[derive(Debug, Default, PartialEq)]
pub struct Process {
    pub resident_bytes: Option<u64>,
    pub virtual_bytes: Option<u64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
    pub cpu_seconds: Option<f64>,
    pub start_time_seconds: Option<f64>,
}

/// Clock ticks per second of `/proc/self/stat`'s times: the kernel's `USER_HZ`, 100 on every architecture this
/// runs on (asking `sysconf` would need unsafe code for a constant).
const TICKS_PER_SECOND: f64 = 100.0;

/// A `Name:   1234 kB` line of `/proc/self/status`, in bytes.
fn status_kb(status: &str, name: &str) -> Option<u64> {
    let rest = status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))?;
    let kb: u64 = rest.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kb * 1024)
}

/// `/proc/self/stat`'s fields after the command name (which may hold spaces and parentheses): the third field of
/// the file is the first one returned.
fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().collect())
}

/// CPU seconds (user + system) and start (in clock ticks after boot) from `/proc/self/stat`.
fn cpu_and_start_ticks(stat: &str) -> Option<(u64, u64)> {
    let f = stat_fields(stat)?;
    // Fields 14 (utime), 15 (stime) and 22 (starttime) of the file; the returned list starts at field 3.
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    let start: u64 = f.get(19)?.parse().ok()?;
    Some((utime + stime, start))
}

impl Process {
    /// Reads `/proc/self` now (a few small reads of kernel-made files).
    #[cfg(target_os = "linux")]
    pub fn read() -> Process {
        let mut p = Process::default();
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            p.resident_bytes = status_kb(&status, "VmRSS");
            p.virtual_bytes = status_kb(&status, "VmSize");
        }
        p.open_fds = std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|d| d.count() as u64);
        p.max_fds = crate::request::open_files_limit().map(|n| n as u64);
        let ticks = TICKS_PER_SECOND;
        if let Some((cpu, start)) = std::fs::read_to_string("/proc/self/stat")
            .ok()
            .as_deref()
            .and_then(cpu_and_start_ticks)
        {
            p.cpu_seconds = Some(cpu as f64 / ticks);
            let boot = std::fs::read_to_string("/proc/stat").ok().and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("btime "))
                    .and_then(|v| v.trim().parse::<u64>().ok())
            });
            p.start_time_seconds = boot.map(|b| b as f64 + start as f64 / ticks);
        }
        p
    }

    #[cfg(not(target_os = "linux"))]
    pub fn read() -> Process {
        Process::default()
    }

    /// The Prometheus text of what was read.
    pub fn render(&self, out: &mut String) {
        let series: [(&str, &str, &str, Option<f64>); 6] = [
            (
                "process_resident_memory_bytes",
                "gauge",
                "Resident memory size in bytes.",
                self.resident_bytes.map(|v| v as f64),
            ),
            (
                "process_virtual_memory_bytes",
                "gauge",
                "Virtual memory size in bytes.",
                self.virtual_bytes.map(|v| v as f64),
            ),
            (
                "process_open_fds",
                "gauge",
                "Number of open file descriptors.",
                self.open_fds.map(|v| v as f64),
            ),
            (
                "process_max_fds",
                "gauge",
                "Maximum number of open file descriptors.",
                self.max_fds.map(|v| v as f64),
            ),
            (
                "process_cpu_seconds_total",
                "counter",
                "Total user and system CPU time spent in seconds.",
                self.cpu_seconds,
            ),
            (
                "process_start_time_seconds",
                "gauge",
                "Start time of the process since unix epoch in seconds.",
                self.start_time_seconds,
            ),
        ];
        for (name, kind, help, value) in series {
            if let Some(v) = value {
                let _ = writeln!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        let status = "Name:\tx\nVmSize:\t    3892 kB\nVmRSS:\t    2188 kB\n";
        assert_eq!(status_kb(status, "VmRSS"), Some(2188 * 1024));
        assert_eq!(status_kb(status, "VmSize"), Some(3892 * 1024));
        assert_eq!(status_kb(status, "VmSwap"), None);
    }

    #[test]
    fn stat_with_a_strange_command_name() {
        let stat = "1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 98765 1000 200";
        assert_eq!(cpu_and_start_ticks(stat), Some((300, 98765)));
        assert_eq!(cpu_and_start_ticks("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process() {
        let p = Process::read();
        assert!(p.resident_bytes.unwrap() > 1 << 20, "{p:?}");
        assert!(
            p.virtual_bytes.unwrap() >= p.resident_bytes.unwrap(),
            "{p:?}"
        );
        assert!(p.open_fds.unwrap() >= 3, "{p:?}");
        assert!(p.cpu_seconds.unwrap() >= 0.0, "{p:?}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let start = p.start_time_seconds.unwrap();
        assert!(
            start <= now + 2.0 && start > now - 86_400.0 * 365.0,
            "{p:?}"
        );
        let mut out = String::new();
        p.render(&mut out);
        assert!(
            out.contains("# TYPE process_cpu_seconds_total counter\n"),
            "{out}"
        );
    }
}
