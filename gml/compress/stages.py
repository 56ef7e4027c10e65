"""What each kind of pipeline stage runs and what it leaves behind.

A stage type is a strategy object: the ordinary gml tool commands that make
the stage (exactly what a user would type), the named outputs it produces
(``checkpoint``, ``config``, ``subnet``, ``pruning_spec``, ``onnx``) and
where they are found in the stage's work dir afterwards. Inputs arrive as
``--cfg-options KEY=PATH`` (``inputs={'model.float_checkpoint':
'float.checkpoint'}``); the key ``checkpoint`` is the tool's positional
checkpoint argument instead.
"""
import os.path as osp
import sys
from typing import Dict, List, Optional

#: the input key that is a tool's positional CHECKPOINT, not a cfg option
POSITIONAL = 'checkpoint'
#: the config of the stage as its tools ran it (written by the pipeline)
CONFIG_FILE = 'stage_config.py'
TEST_METRICS = 'test_metrics.json'


def last_checkpoint(work_dir: str) -> Optional[str]:
    """mmengine's newest checkpoint of ``work_dir`` (None if none)."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        ckpt = f.read().strip()
    return ckpt if osp.isfile(ckpt) else None


def options_args(options: Dict[str, object]) -> List[str]:
    """``--cfg-options k=v ...`` (nothing when there are no options)."""
    if not options:
        return []
    return ['--cfg-options'] + [f'{k}={_text(v)}' for k, v in options.items()]


def _text(value) -> str:
    if isinstance(value, str):
        return value
    return repr(value)


class Command:
    """One tool invocation of a stage.

    Args:
        tool (str): the script under ``tools/`` (e.g. ``train.py``).
        args (list): its arguments.
        slurm (str | None): the ``tools/slurm_*.sh`` script that runs the
            tool on a cluster (its ``PARTITION JOB`` arguments are added);
            None: a one-process tool, run under ``srun -n1``.
    """

    def __init__(self, tool: str, args: List[str],
                 slurm: Optional[str] = None):
        self.tool, self.args, self.slurm = tool, list(args), slurm

    def argv(self, root: str, launcher: str = 'local',
             partition: Optional[str] = None, job: str = 'gml') -> List[str]:
        if launcher == 'local':
            return [sys.executable, osp.join(root, 'tools', self.tool),
                    *self.args]
        if self.slurm is None:
            return ['srun', '-p', partition, f'--job-name={job}', '-n1',
                    sys.executable, '-u', osp.join(root, 'tools', self.tool),
                    *self.args]
        return ['sh', osp.join(root, 'tools', self.slurm), partition, job,
                *self.args]


class StageType:
    """A kind of stage.

    Args:
        name (str): the ``type`` a pipeline config names.
        produces (tuple): the outputs later stages may consume.
    """

    produces = ('checkpoint', 'config')
    #: inputs that must be wired (e.g. the checkpoint an export reads)
    requires = ()
    #: whether a rerun of a broken stage continues from its checkpoint
    resumable = True

    def __init__(self, name: str):
        self.name = name

    def commands(self, stage, work_dir: str, resume: bool) -> List[Command]:
        """The tool commands that make the stage, in order."""
        args = [stage.config, '--work-dir', work_dir]
        if resume:
            args.append('--resume')
        return [Command('train.py', args + options_args(stage.options),
                        'slurm_train.sh')]

    def outputs(self, stage, work_dir: str) -> Dict[str, str]:
        """The outputs found in ``work_dir`` after a successful run."""
        found = dict(config=osp.join(work_dir, CONFIG_FILE))
        ckpt = last_checkpoint(work_dir)
        if ckpt:
            found['checkpoint'] = ckpt
        return found

    def test_command(self, stage, outputs: Dict[str, str],
                     work_dir: str) -> Optional[Command]:
        """``tools/test.py`` on the stage's model (None: nothing to test)."""
        ckpt = outputs.get('checkpoint')
        if ckpt is None:
            return None
        opts = dict(stage.test_options)
        opts.update(self.test_options(outputs))
        return Command('test.py', [stage.test_config, ckpt, '--work-dir',
                                   osp.join(work_dir, 'test'), '--out',
                                   osp.join(work_dir, TEST_METRICS),
                                   *options_args(opts)], 'slurm_test.sh')

    def test_options(self, outputs: Dict[str, str]) -> Dict[str, object]:
        return {}

    #: whether the stage's model is a float one (measured as fp32 ONNX)
    float_model = True


class PruneStage(StageType):
    """Group pruning (gml.GroupPruning): also a ``pruning_spec``; the
    pruned model is rebuilt with ``model.pruning_spec=PATH``.

    Args:
        name (str): the ``type`` a pipeline config names.
    """

    produces = ('checkpoint', 'config', 'pruning_spec')

    def outputs(self, stage, work_dir):
        found = super().outputs(stage, work_dir)
        spec = osp.join(work_dir, 'pruning_spec.yaml')
        if osp.isfile(spec):
            found['pruning_spec'] = spec
        return found

    def test_options(self, outputs):
        return {'model.pruning_spec': outputs['pruning_spec']}


class DMCPStage(StageType):
    """The DMCP search (tools/train.py): also the pruned widths,
    ``subnet`` (``model_sample/subnet.yaml``).

    Args:
        name (str): the ``type`` a pipeline config names.
    """

    produces = ('checkpoint', 'config', 'subnet')

    def outputs(self, stage, work_dir):
        found = super().outputs(stage, work_dir)
        subnet = osp.join(work_dir, 'model_sample', 'subnet.yaml')
        if osp.isfile(subnet):
            found['subnet'] = subnet
        return found

    def test_command(self, stage, outputs, work_dir):
        return None  # a supernet: its widths are tested after retraining

    float_model = False  # a supernet: not a deployable model


class SearchStage(StageType):
    """``tools/search.py CONFIG SUPERNET_CKPT``: the best ``subnet``.

    Args:
        name (str): the ``type`` a pipeline config names.
    """

    produces = ('subnet', )
    requires = (POSITIONAL, )

    def commands(self, stage, work_dir, resume):
        args = [stage.config, stage.inputs_positional(), '--work-dir',
                work_dir]
        if resume:
            args.append('--resume')
        return [Command('search.py', args + options_args(stage.options),
                        'slurm_search.sh')]

    def outputs(self, stage, work_dir):
        best = osp.join(work_dir, 'best_subnet.yaml')
        return dict(subnet=best) if osp.isfile(best) else {}

    def test_command(self, stage, outputs, work_dir):
        return None


class DistillStage(StageType):
    """Distillation (tools/train.py), then the student alone
    (tools/kd/export_student.py), testable with the stage's
    ``test_config`` (the student's config).

    Args:
        name (str): the ``type`` a pipeline config names.
    """

    STUDENT = 'student.pth'

    def commands(self, stage, work_dir, resume):
        train = super().commands(stage, work_dir, resume)
        return train + [Command('kd/export_student.py', [
            osp.join(work_dir, 'latest.pth'),
            osp.join(work_dir, self.STUDENT)])]

    def outputs(self, stage, work_dir):
        found = dict(config=osp.join(work_dir, CONFIG_FILE))
        student = osp.join(work_dir, self.STUDENT)
        if osp.isfile(student):
            found['checkpoint'] = student
        return found


class QATStage(StageType):
    """Quantization-aware training (tools/train.py with a gml.QAT config):
    a QAT checkpoint, tested in PyTorch with fake quantization.

    Args:
        name (str): the ``type`` a pipeline config names.
    """

    float_model = False


class OnnxStage(StageType):
    """A tool that writes an int8 ONNX model from a checkpoint
    (``tools/quantization/export.py`` or ``ptq.py``); tested with
    ``tools/test.py --backend onnxruntime``.

    Args:
        name (str): the ``type`` a pipeline config names.
        tool (str): the script under ``tools/`` that writes the ONNX model.
    """

    produces = ('onnx', 'config')
    requires = (POSITIONAL, )
    resumable = False
    float_model = False
    ONNX = 'model_int8.onnx'

    def __init__(self, name: str, tool: str):
        super().__init__(name)
        self.tool = tool

    def commands(self, stage, work_dir, resume):
        return [Command(self.tool, [
            stage.config, stage.inputs_positional(), '--out',
            osp.join(work_dir, self.ONNX), *options_args(stage.options)])]

    def outputs(self, stage, work_dir):
        found = dict(config=osp.join(work_dir, CONFIG_FILE))
        onnx = osp.join(work_dir, self.ONNX)
        if osp.isfile(onnx):
            found['onnx'] = onnx
        return found

    def test_command(self, stage, outputs, work_dir):
        return Command('test.py', [
            stage.test_config, outputs['onnx'], '--backend', 'onnxruntime',
            '--out', osp.join(work_dir, TEST_METRICS),
            *options_args(stage.test_options)])


class CheckpointStage(StageType):
    """A model trained elsewhere: ``checkpoint=PATH`` (nothing runs but
    its test).

    Args:
        name (str): the ``type`` a pipeline config names.
    """

    resumable = False

    def commands(self, stage, work_dir, resume):
        return []

    def outputs(self, stage, work_dir):
        return dict(config=osp.join(work_dir, CONFIG_FILE),
                    checkpoint=stage.checkpoint)


#: every stage type a pipeline may name
STAGE_TYPES = {t.name: t for t in (
    CheckpointStage('checkpoint'), StageType('train'), StageType('retrain'),
    DMCPStage('dmcp'), PruneStage('prune'), SearchStage('search'),
    DistillStage('distill'), QATStage('qat'),
    OnnxStage('export', 'quantization/export.py'),
    OnnxStage('ptq', 'quantization/ptq.py'))}
