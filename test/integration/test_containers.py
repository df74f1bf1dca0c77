"""Container files, checked without a Docker engine (none runs on our build
machines): the compose file parses, names only binaries/variables/ports that
exist, is scalable by design, keeps the password out of the URL, probes
PostgreSQL over TCP, waits for it in migrate, and the runtime image installs
exactly the shared libraries the binaries link against. `make compose-check`
runs the image and the compose file for real (docs/development.md)."""
import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import TOP, binpath


def load_compose():
    with open(os.path.join(TOP, "docker-compose.yml")) as f:
        return yaml.safe_load(f)


def dockerfile():
    with open(os.path.join(TOP, "Dockerfile")) as f:
        return f.read()


def config_env_vars():
    table = subprocess.run([binpath("dialhookctl"), "config-table"], capture_output=True, text=True,
                           check=True).stdout
    return set(re.findall(r"^\| `([A-Z_]+)`", table, re.M))


BINARIES = {"dialhook-ingest", "dialhook-processor", "dialhookctl"}


def test_compose_services_and_commands():
    c = load_compose()
    assert set(c["services"]) == {"postgres", "migrate", "ingest", "processor"}
    for name in ("migrate", "ingest", "processor"):
        cmd = c["services"][name]["command"]
        assert cmd[0] in BINARIES, (name, cmd)
        assert os.path.exists(binpath(cmd[0])), cmd[0]
    assert c["services"]["migrate"]["command"] == ["dialhookctl", "migrate", "--wait", "60s"]
    for name in ("ingest", "processor"):
        dep = c["services"][name]["depends_on"]["migrate"]["condition"]
        assert dep == "service_completed_successfully"
    assert c["services"]["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in c["services"]["postgres"]
    assert "pgdata" in c["volumes"]


def test_scaled_services_have_no_fixed_names_or_host_ports():
    c = load_compose()
    for name in ("ingest", "processor"):
        assert "container_name" not in c["services"][name]
    # one host port by default, DIALHOOK_INGEST_PORTS=0 for a random one per replica;
    # never a range (Compose v2 does not spread it over replicas, podman refuses it)
    assert c["services"]["ingest"]["ports"] == ["${DIALHOOK_INGEST_PORTS:-8080}:8080"]
    assert "ports" not in c["services"]["processor"]


def test_password_is_not_in_the_url():
    """A password with '/' or '+' broke every service when it was pasted into DATABASE_URL."""
    env = load_compose()["x-dialhook-env"]
    assert "${" not in env["DATABASE_URL"] and ":" not in env["DATABASE_URL"].split("@")[0][len("postgresql://"):]
    assert env["PGPASSWORD"].startswith("${POSTGRES_PASSWORD")


def test_postgres_probe_is_tcp_and_one_shot_services_have_no_healthcheck():
    c = load_compose()
    probe = " ".join(c["services"]["postgres"]["healthcheck"]["test"])
    assert "pg_isready" in probe and "-h 127.0.0.1" in probe, probe
    assert c["services"]["migrate"]["healthcheck"] == {"disable": True}


def test_env_file_is_never_committed_nor_sent_to_the_build():
    for name in (".gitignore", ".dockerignore"):
        with open(os.path.join(TOP, name)) as f:
            assert ".env" in f.read().split(), name
    with open(os.path.join(TOP, ".env.example")) as f:
        example = f.read()
    assert "never commit" in example and "Avoid:" in example


def test_docs_commands_work_on_docker_and_podman():
    """No `compose run` (podman's API refuses compose 1.29's links), no port range, and
    every one-shot container of the image without the daemons' HEALTHCHECK."""
    for doc in ("README.md", "docs/operations.md", "docs/architecture.md", ".env.example", "docker-compose.yml"):
        with open(os.path.join(TOP, doc)) as f:
            text = f.read()
        assert "compose run" not in text and "8080-8089" not in text, doc
        for line in text.splitlines():
            if re.search(r"docker run\b", line) and "dialhook" in line:
                assert "--no-healthcheck" in line, (doc, line)
    with open(os.path.join(TOP, "docs", "operations.md")) as f:
        ops = f.read()
    for block in re.findall(r"```yaml\n(.*?)```", ops, re.S):
        if "dialhookctl" in block and "image: dialhook" in block:
            assert "disable: true" in block, block


def test_every_variable_named_exists_in_the_config_table():
    known = config_env_vars()
    c = load_compose()
    named = set()
    for name in ("migrate", "ingest", "processor"):
        env = c["services"][name]["environment"]
        named |= set(env)
    named |= set(re.findall(r"\b(DIALHOOK_[A-Z_]+|DIALPAD_[A-Z_]+)=", dockerfile()))
    assert named, "nothing found to check"
    libpq = {"PGPASSWORD"}   # read by libpq itself
    assert named - libpq <= known, named - libpq - known


def test_ports_match_the_defaults_the_daemons_listen_on():
    c = load_compose()
    ing = c["services"]["ingest"]
    port = ing["environment"]["DIALHOOK_LISTEN"].rsplit(":", 1)[1]
    assert all(str(p).endswith(":" + port) for p in ing["ports"])
    # both daemons' /metrics on their own port, exposed to the compose network, never published
    for name in ("ingest", "processor"):
        svc = c["services"][name]
        mport = svc["environment"]["DIALHOOK_METRICS_LISTEN"].rsplit(":", 1)[1]
        assert mport in svc["expose"] and mport != port
        assert not any(str(p).endswith(":" + mport) for p in svc.get("ports", []))
    df = dockerfile()
    assert re.search(r"^EXPOSE 8080 9090$", df, re.M)


def test_secrets_come_from_the_environment_not_the_image():
    df = dockerfile()
    assert "DIALPAD_WEBHOOK_SECRET" not in df and "POSTGRES_PASSWORD" not in df
    c = load_compose()
    assert c["services"]["ingest"]["environment"]["DIALPAD_WEBHOOK_SECRET"].startswith("${")


def test_image_runs_as_non_root_with_healthcheck_and_exec_form_cmd():
    df = dockerfile()
    runtime = df.split("AS runtime", 1)[1]
    assert re.search(r"^USER dialhook$", runtime, re.M)
    assert "HEALTHCHECK" in runtime and "/healthz" in runtime
    assert re.search(r'^CMD \["dialhook-ingest"\]$', runtime, re.M)
    assert "ENTRYPOINT" not in runtime


def runtime_packages():
    runtime = dockerfile().split("AS runtime", 1)[1]
    m = re.search(r"apt-get install -y --no-install-recommends ([^\\&\n]+)", runtime)
    return set(m.group(1).split())


def test_runtime_image_has_exactly_the_linked_libraries():
    """ldd the real binaries; every non-libc library must come from a package
    the runtime stage installs, and every package installed must be needed."""
    needed = set()
    for b in BINARIES:
        out = subprocess.run(["ldd", binpath(b)], capture_output=True, text=True, check=True).stdout
        for path in re.findall(r"=> (/\S+)", out):
            if "libasan" in path or "libubsan" in path:
                continue
            owner = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True,
                                   text=True)
            if owner.returncode != 0:
                owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
            pkg = owner.stdout.split(":", 1)[0]
            needed.add(pkg)
    base = {"libc6", "libgcc-s1", "libstdc++6"}  # in debian:12-slim already
    direct = {"libevent-2.1-7", "libpq5", "libsodium23"}   # cJSON is test-only (Makefile)
    assert direct <= needed, needed
    assert runtime_packages() == direct
    # everything else linked indirectly comes in as a dependency of those packages
    for pkg in needed - direct - base:
        deps = subprocess.run(["apt-cache", "depends", "--recurse", "--important", *direct],
                              capture_output=True, text=True).stdout
        assert pkg in deps or pkg.startswith("libevent"), pkg


def test_compose_config_parses_with_docker_compose(tmp_path):
    exe = shutil.which("docker-compose")
    if exe is None:   # test/deps.sh installs it (make check runs make deps first)
        pytest.fail("no docker-compose client: run make deps (test/deps.sh installs it)", pytrace=False)
    password = "Zm9v/YmFy+cXV4=="   # what `openssl rand -base64` makes
    env = dict(os.environ, POSTGRES_PASSWORD=password, DIALPAD_WEBHOOK_SECRET="y", DIALHOOK_INGEST_PORTS="0")
    r = subprocess.run([exe, "-f", os.path.join(TOP, "docker-compose.yml"), "--project-directory",
                        str(tmp_path), "config"], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    c = yaml.safe_load(r.stdout)
    for name in ("migrate", "ingest", "processor"):
        e = c["services"][name]["environment"]
        assert e["PGPASSWORD"] == password and e["DATABASE_URL"] == "postgresql://dialhook@postgres:5432/dialhook"
    assert c["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] == password
    ports = c["services"]["ingest"]["ports"]
    assert [(str(p["published"]), p["target"]) for p in ports] == [("0", 8080)], ports
