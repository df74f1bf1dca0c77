"""Container files, checked without a Docker engine (none runs on our build
machines): the compose file parses, names only binaries/variables/ports that
exist, is scalable by design, and the runtime image installs exactly the
shared libraries the binaries link against."""
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
    assert c["services"]["migrate"]["command"] == ["dialhookctl", "migrate"]
    for name in ("ingest", "processor"):
        dep = c["services"][name]["depends_on"]["migrate"]["condition"]
        assert dep == "service_completed_successfully"
    assert c["services"]["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in c["services"]["postgres"]
    assert "pgdata" in c["volumes"]


def test_scaled_services_have_no_fixed_names_or_host_ports():
    c = load_compose()
    for name in ("ingest", "processor"):
        svc = c["services"][name]
        assert "container_name" not in svc
        for p in svc.get("ports", []):
            host = str(p).rsplit(":", 1)[0]
            # a range (or an interpolated range) so each replica gets its own host port
            assert "-" in host or "${" in host, p
    assert "ports" not in c["services"]["processor"]


def test_every_variable_named_exists_in_the_config_table():
    known = config_env_vars()
    c = load_compose()
    named = set()
    for name in ("migrate", "ingest", "processor"):
        env = c["services"][name]["environment"]
        named |= set(env)
    named |= set(re.findall(r"\b(DIALHOOK_[A-Z_]+|DIALPAD_[A-Z_]+)=", dockerfile()))
    assert named, "nothing found to check"
    assert named <= known, named - known


def test_ports_match_the_defaults_the_daemons_listen_on():
    c = load_compose()
    ing = c["services"]["ingest"]
    port = ing["environment"]["DIALHOOK_LISTEN"].rsplit(":", 1)[1]
    assert all(str(p).endswith(":" + port) for p in ing["ports"])
    proc = c["services"]["processor"]
    assert proc["expose"] == [proc["environment"]["DIALHOOK_METRICS_LISTEN"].rsplit(":", 1)[1]]
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


def test_compose_config_parses_if_a_client_is_available():
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.skip("no docker-compose client on this machine; YAML checked above")
    env = dict(os.environ, POSTGRES_PASSWORD="x", DIALPAD_WEBHOOK_SECRET="y")
    r = subprocess.run([exe, "-f", os.path.join(TOP, "docker-compose.yml"), "config", "-q"],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
