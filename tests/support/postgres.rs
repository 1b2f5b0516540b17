//! A throwaway PostgreSQL server per test binary, each test in its own database.
//!
//! The server runs from the installed binaries (`/usr/lib/postgresql/<v>/bin`) as the `postgres` OS
//! user when the tests run as root (initdb refuses root). It listens on 127.0.0.1 on a free port with
//! TLS on (a test CA signs the server certificate) and password (SCRAM) authentication, and on a Unix
//! socket in its own folder with trust authentication for the harness. Every statement is logged, so
//! tests can check what the tool sent. A watchdog stops the server and removes its folder when the
//! test process exits. No PostgreSQL installed is a test failure, not a skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Server {
    pub dir: PathBuf,
    pub port: u16,
    pub password: String,
    /// The test CA's certificate (PEM), for `sslrootcert=`.
    pub ca: PathBuf,
    /// Ends on its own when this process does (see the module doc); kept, never waited for.
    _watchdog: std::process::Child,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The server for this test binary, started on first use.
pub fn server() -> &'static Server {
    SERVER.get_or_init(Server::start)
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL server binaries are not installed (no /usr/lib/postgresql/*/bin/initdb); \
             run the tests with `bash scripts/test.sh`, which installs them"
        ),
    }
}

/// Run a PostgreSQL program as the `postgres` user when we are root.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl Server {
    fn start() -> Server {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("template-sft-pg-")
            .tempdir()
            .unwrap()
            .keep();
        let password = format!("pw-{}-{}", std::process::id(), free_port());
        std::fs::write(dir.join("pwfile"), &password).unwrap();

        // A test CA and a server certificate for 127.0.0.1 and localhost.
        let ossl = |args: &[&str]| {
            run(
                Command::new("openssl").args(args).current_dir(&dir),
                "openssl",
            )
        };
        ossl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "3",
            "-subj",
            "/CN=template-sft test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        ossl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        ossl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "3",
            "-extfile",
            "server.ext",
        ]);
        run(
            Command::new("chmod")
                .args(["600", "server.key"])
                .current_dir(&dir),
            "chmod",
        );
        if is_root() {
            run(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&dir),
                "chown",
            );
        }

        run(
            as_postgres(&bin.join("initdb"))
                .arg("-D")
                .arg(dir.join("data"))
                .args([
                    "-U",
                    "postgres",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "-N",
                ])
                .arg(format!("--pwfile={}", dir.join("pwfile").display())),
            "initdb",
        );

        let port = free_port();
        let d = dir.display();
        // The watchdog ends the server when this test process is gone, then removes the folder.
        let script = format!(
            "'{pg}' -D '{d}/data' -p {port} -k '{d}' -c listen_addresses=127.0.0.1 -c fsync=off \
             -c ssl=on -c ssl_cert_file='{d}/server.crt' -c ssl_key_file='{d}/server.key' \
             -c log_statement=all -c max_connections=200 > '{d}/log' 2>&1 & pg=$!; \
             while [ -d /proc/{parent} ] && kill -0 $pg 2>/dev/null; do sleep 0.2; done; \
             kill -INT $pg 2>/dev/null; wait $pg; rm -rf '{d}'",
            pg = bin.join("postgres").display(),
            parent = std::process::id(),
        );
        let mut watchdog = as_postgres(Path::new("/bin/sh"));
        let watchdog = watchdog
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start postgres");

        let server = Server {
            _watchdog: watchdog,
            ca: dir.join("ca.crt"),
            dir,
            port,
            password,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match postgres::Client::connect(&server.admin("postgres"), postgres::NoTls) {
                Ok(_) => break,
                Err(e) if Instant::now() > deadline => {
                    panic!("PostgreSQL did not start: {e}\n{}", server.log())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        server
    }

    /// Harness connection string over the Unix socket (trust).
    fn admin(&self, db: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={db}",
            self.dir.display(),
            self.port
        )
    }

    pub fn client(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(&self.admin(db), postgres::NoTls).expect("harness connection")
    }

    /// A fresh, empty database for one test.
    pub fn database(&self) -> String {
        let name = format!("t{}", DATABASES.fetch_add(1, Ordering::SeqCst));
        self.client("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        name
    }

    /// A URL over the Unix socket (no TLS, no password).
    pub fn socket_url(&self, db: &str) -> String {
        format!(
            "postgresql:///{db}?host={}&port={}&user=postgres",
            self.dir.display(),
            self.port
        )
    }

    /// A URL over TCP with the password; `query` is appended (e.g. `sslmode=verify-full`).
    pub fn tcp_url(&self, db: &str, password: &str, query: &str) -> String {
        format!(
            "postgresql://postgres:{password}@127.0.0.1:{}/{db}?{query}",
            self.port
        )
    }

    /// Everything the server logged so far (every statement, since log_statement=all).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}
