import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version():
    with open(osp.join(HERE, 'gml', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def read_requirements(name):
    with open(osp.join(HERE, 'requirements', name)) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


setup(
    name='gml',
    version=read_version(),
    description='OpenMMLab-style toolbox for model compression and AutoML',
    long_description=open(osp.join(HERE, 'README.md')).read()
    if osp.exists(osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    python_requires='>=3.10',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    package_data={'gml': ['datasets/data/*.npz']},
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'tests': read_requirements('tests.txt'),
        'optional': read_requirements('optional.txt'),
        # mmdet's models also need full mmcv (compiled ops): tools/install.sh --detection
        'detection': read_requirements('detection.txt'),
    },
    entry_points={
        'console_scripts': [
            'search-init=gml.hpo.cli:search_init',
            'search-run=gml.hpo.cli:search_run',
            'search-ctl=gml.hpo.cli:search_ctl',
        ],
    },
    zip_safe=False,
)
