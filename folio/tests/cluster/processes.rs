//! Real processes: a private nats-server (JetStream on disk, so a restart keeps its streams) and
//! the `folio` binary in its cluster roles.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub struct Nats {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Nats {
    pub fn start() -> Self {
        let mut nats = Self { port: free_port(), dir: tempfile::tempdir().unwrap(), child: None };
        nats.restart();
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn restart(&mut self) {
        let store: PathBuf = self.dir.path().join("jetstream");
        self.spawn(Command::new("nats-server").args(["-js", "-sd"]).arg(&store));
    }

    /// The same address served without JetStream: clients connect, and every JetStream request
    /// is answered "no responders", as while a cluster has not yet elected its JetStream leader.
    pub fn restart_without_jetstream(&mut self) {
        self.spawn(&mut Command::new("nats-server"));
    }

    fn spawn(&mut self, command: &mut Command) {
        assert!(self.child.is_none(), "already running");
        let child = command
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server must be installed (scripts/dev-up installs it)");
        self.child = Some(child);
        wait_for_port(self.port);
    }

    /// Stops the server the hard way (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `folio <role>` process.
pub struct Role {
    args: Vec<String>,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl Role {
    pub fn start(args: &[&str], database_url: &str, nats_url: &str) -> Self {
        let env = vec![
            ("FOLIO_DATABASE_URL".to_owned(), database_url.to_owned()),
            ("FOLIO_NATS_URL".to_owned(), nats_url.to_owned()),
            // The operations port of relays and projectors: a free one unless `--port` names it.
            ("FOLIO_PORT".to_owned(), "0".to_owned()),
            ("FOLIO_LOG".to_owned(), std::env::var("FOLIO_TEST_ROLE_LOG").unwrap_or_else(|_| "warn".to_owned())),
        ];
        let mut role = Self { args: args.iter().map(|a| (*a).to_owned()).collect(), env, child: None };
        role.restart();
        role
    }

    pub fn restart(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_folio"))
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    /// Whether the process is still alive (it has not exited on its own).
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|child| child.try_wait().unwrap().is_none())
    }

    /// kill -9: no chance to finish a batch or save anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits for a clean exit.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let status = child.wait().unwrap();
            assert!(status.success(), "{:?} exited with {status}", self.args);
        }
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        self.kill();
    }
}
