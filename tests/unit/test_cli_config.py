"""Where the CLI takes its URL, token and company from: option > environment > file."""
import pytest

from portal_cli.config import ConfigError, resolve


def write_config(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_option_beats_environment_beats_file(tmp_path):
    path = write_config(tmp_path, 'url = "http://file:1"\ntoken = "file-token"\n'
                                  'company = "filecorp"\n')
    environ = {"PORTAL_TOKEN": "env-token", "PORTAL_CONFIG": str(path)}
    settings = resolve({"url": "http://option:2"}, environ=environ)
    assert (settings.url, settings.token, settings.company) == ("http://option:2", "env-token",
                                                                "filecorp")


def test_the_default_file_is_under_xdg_config_home(tmp_path):
    (tmp_path / "portal").mkdir()
    write_config(tmp_path / "portal", 'token = "t"\n')
    settings = resolve({}, environ={"XDG_CONFIG_HOME": str(tmp_path)})
    assert settings.token == "t"
    assert settings.url == "http://localhost:8000"


def test_a_named_config_file_must_exist_and_be_valid(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        resolve({}, environ={}, config_path=str(tmp_path / "missing.toml"))
    bad = write_config(tmp_path, 'tokn = "typo"\n')
    with pytest.raises(ConfigError, match="unknown key"):
        resolve({}, environ={}, config_path=str(bad))


def test_a_token_file_readable_by_others_gets_a_warning(tmp_path):
    path = write_config(tmp_path, 'token = "t"\n')
    path.chmod(0o644)
    settings = resolve({}, environ={}, config_path=str(path))
    assert any("chmod 600" in warning for warning in settings.warnings)


def test_the_url_must_be_http(tmp_path):
    with pytest.raises(ConfigError, match="http"):
        resolve({"url": "localhost:8000"}, environ={"XDG_CONFIG_HOME": str(tmp_path)})
