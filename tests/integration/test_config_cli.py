"""spinelraft-server and spinelraft-admin as an operator meets them: config files, start-up
errors (one line on stderr, non-zero exit, never a traceback), --help, admin status."""
import socket

import pytest

from tests.conftest import free_port
from tests.integration.cli import run_script

BAD_CONFIGS = {
    "bad_toml": ("port = \n", "invalid TOML"),
    "unknown_key": ('no-such-setting = 1\n', "unknown setting 'no-such-setting'"),
    "wrong_type": ('port = "six thousand"\n', "setting 'port'"),
    "float_for_int": ("databases = 1.5\n", "setting 'databases'"),
    "bad_appendfsync": ('appendfsync = "sometimes"\n', "appendfsync must be one of always/everysec/no"),
    "bad_loglevel": ('loglevel = "chatty"\n', "loglevel must be one of"),
    "port_out_of_range": ("raft-port = 70000\n", "raft-port must be a TCP port"),
}


def _start_server(tmp_path, *args):
    """Run a server that is expected to refuse to start (a regression would time out)."""
    return run_script("spinelraft-server", "--data-dir", str(tmp_path / "data"),
                      "--metrics-port", "0", *args, timeout_s=30)


def _assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("spinelraft-server: ")
    assert "Traceback" not in result.stderr and result.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_invalid_config_file(tmp_path, name):
    text, message = BAD_CONFIGS[name]
    path = tmp_path / ("%s.toml" % name)
    path.write_text(text)
    result = _start_server(tmp_path, "--config", str(path), "--port", str(free_port()))
    _assert_one_line_error(result, message)


def test_missing_config_file(tmp_path):
    result = _start_server(tmp_path, "--config", str(tmp_path / "absent.toml"), "--port", str(free_port()))
    _assert_one_line_error(result, "config file not found")


@pytest.mark.parametrize("which", ["resp", "raft", "metrics"])
def test_port_in_use(tmp_path, which):
    port = free_port()
    with socket.socket() as squatter:
        busy = {"resp": port, "raft": port + 100, "metrics": free_port()}[which]
        squatter.bind(("127.0.0.1", busy))
        squatter.listen()
        args = ["--port", str(port)]  # no --logfile: log lines would go to stderr too
        if which == "metrics":
            args = ["--port", str(port), "--metrics-port", str(busy)]
        result = _start_server(tmp_path, *args)
    _assert_one_line_error(result, "127.0.0.1:%d" % busy, "in use")


def test_valid_config_file(tmp_path, server_factory):
    path = tmp_path / "spinelraft.toml"
    path.write_text('appendfsync = "everysec"\nslowlog-max-len = 7\ndatabases = 4\n'
                    'node-id = "alpha"\n')
    server = server_factory(extra_args=["--config", str(path)])
    client = server.client()
    assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
    assert client.config_get("slowlog-max-len") == {"slowlog-max-len": "7"}
    assert client.config_get("databases") == {"databases": "4"}
    assert client.info("server")["config_file"] == str(path)
    assert client.info("raft")["raft_node_id"] == "alpha"
    client.close()


def test_server_help():
    result = run_script("spinelraft-server", "--help")
    assert result.returncode == 0 and result.stderr == ""
    for flag in ("--port", "--data-dir", "--metrics-port", "--config", "--appendfsync",
                 "--requirepass", "--host", "--raft-port", "--logfile", "--loglevel"):
        assert flag in result.stdout, flag


def test_admin_help():
    result = run_script("spinelraft-admin", "--help")
    assert result.returncode == 0 and result.stderr == ""
    assert "status" in result.stdout and "--port" in result.stdout


def test_admin_status_prints_a_table(shared_server):
    result = run_script("spinelraft-admin", "--port", str(shared_server.port), "status")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["node", "shard", "role", "leader", "term", "commit", "applied", "lag"]
    assert len(rows) == 1
    node, shard, role, leader, term, commit, applied, lag = rows[0].split()
    assert (shard, role) == ("0", "leader")
    assert leader == "127.0.0.1:%d" % (shared_server.port + 100)
    assert int(term) >= 1 and int(commit) >= int(applied) >= 1 and int(lag) >= 0


def test_admin_without_a_server():
    port = free_port()
    result = run_script("spinelraft-admin", "--port", str(port), "status")
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("spinelraft-admin: ")
