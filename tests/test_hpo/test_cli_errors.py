"""Bad input: one clear line, exit 2, and .search-run left unchanged."""
import shutil

import pytest

from .helpers import DOC_YAML, hpo, tree_digest, write_yaml


@pytest.fixture
def project(tmp_path):
    hpo(tmp_path, 'search-init', check=0)
    return tmp_path


BAD_YAMLS = {
    'malformed': ('task: {template: "python t.py {lr}"\n  search_args: [',
                  'not valid yaml'),
    'unsafe_tag': ('task: !!python/object/apply:os.system ["touch pwned"]\n',
                   'not valid yaml'),
    'unknown_type': (None, "task.search_args[0].type: unknown type 'Choice'"),
    'no_argument': (None, 'placeholder(s) {momentum} have no search'),
    'unused_argument': (None, "['wd'] never used in task.template"),
    'unbalanced': (None, 'task.template: malformed template: "{" at '
                   'position 28 is never closed'),
    'stray_close': (None, 'task.template: malformed template: "}" at '
                    'position 30 closes no "{"'),
    'bad_format_spec': (None, "task.template: {gamma:d} cannot format the "
                        "value 0.7: Unknown format code 'd'"),
    'conversion': (None, 'task.template: placeholder {gamma!r} at position '
                   '85: conversions (!r) are not supported'),
}


def _mutated(kind):
    import copy
    raw = copy.deepcopy(DOC_YAML)
    if kind == 'unknown_type':
        raw['task']['search_args'][0]['type'] = 'Choice'
    elif kind == 'no_argument':
        raw['task']['template'] += ' --momentum {momentum}'
    elif kind == 'unbalanced':  # `--lr {lr` at position 28
        raw['task']['template'] = raw['task']['template'].replace(
            '{lr}', '{lr')
    elif kind == 'stray_close':
        raw['task']['template'] = raw['task']['template'].replace(
            '{lr}', 'lr}')
    elif kind in ('bad_format_spec', 'conversion'):
        raw['task']['template'] = raw['task']['template'].replace(
            '{gamma}', '{gamma:d}' if kind == 'bad_format_spec'
            else '{gamma!r}')
    elif kind == 'unused_argument':
        raw['task']['search_args'].append(
            {'type': 'Categorical', 'name': 'wd', 'value': [0.1]})
    return raw


@pytest.mark.parametrize('kind', sorted(BAD_YAMLS))
def test_bad_yaml_exit_2_and_nothing_written(project, kind):
    text, message = BAD_YAMLS[kind]
    path = project / 'search.yaml'
    if text is None:
        write_yaml(path, _mutated(kind))
    else:
        path.write_text(text)
    before = tree_digest(project / '.search-run')
    out = hpo(project, 'search-run', str(path), check=2)
    assert message in out.stderr
    assert str(path) in out.stderr  # names the file
    assert len(out.stderr.strip().splitlines()) == 1
    assert tree_digest(project / '.search-run') == before
    assert not (project / 'pwned').exists()


def test_a_directory_for_the_yaml_says_so(project):
    (project / 'configs').mkdir()
    before = tree_digest(project / '.search-run')
    out = hpo(project, 'search-run', 'configs', check=2)
    assert out.stderr == ('search-run: error: configs: is a directory; '
                          'expected a search yaml file\n')
    assert tree_digest(project / '.search-run') == before


@pytest.mark.parametrize('name', ['../escape', '.hidden', 'a/b', '..', ''])
def test_task_names_cannot_escape(project, name):
    write_yaml(project / 'search.yaml', DOC_YAML)
    before = tree_digest(project)
    out = hpo(project, 'search-run', '--task', name, 'search.yaml', check=2)
    assert 'task name' in out.stderr
    assert tree_digest(project) == before
    out = hpo(project, 'search-ctl', 'delete', '--task', name, check=2)
    assert tree_digest(project) == before


def test_commands_need_search_init_and_known_tasks(tmp_path, project):
    bare = tmp_path / 'bare'
    bare.mkdir()
    shutil.rmtree(project / '.search-run')
    out = hpo(bare, 'search-ctl', 'show', check=2)
    assert 'run search-init' in out.stderr
    hpo(project, 'search-init', check=0)
    out = hpo(project, 'search-ctl', 'show', '--task', 'nope', check=2)
    assert "task 'nope': not found" in out.stderr
    out = hpo(project, 'search-ctl', 'resume', '--task', 'nope', check=2)
    assert "task 'nope': not found" in out.stderr


@pytest.mark.skipif(shutil.which('search-run') is None,
                    reason='console scripts not installed on PATH '
                    '(pip install -e . puts search-init/run/ctl there)')
def test_installed_console_scripts(tmp_path):
    import subprocess
    from .helpers import env
    subprocess.run(['search-init'], cwd=tmp_path, env=env(), check=True)
    assert (tmp_path / '.search-run' / 'summary.yaml').is_file()
    out = subprocess.run(['search-ctl', 'show'], cwd=tmp_path, env=env(),
                         capture_output=True, text=True)
    assert out.returncode == 0 and 'All tasks:' in out.stdout
    out = subprocess.run(['search-run', 'missing.yaml'], cwd=tmp_path,
                         env=env(), capture_output=True, text=True)
    assert out.returncode == 2 and 'no such config file' in out.stderr
