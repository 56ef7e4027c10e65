"""Export the student of a distillation checkpoint (teacher, connectors and
MEAL discriminators dropped) so it loads into the student's own config.

    python tools/kd/export_student.py DISTILL_CKPT OUT.pth
    python tools/test.py STUDENT_CONFIG OUT.pth
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from gml.utils.cli import OneLineErrorParser, fail  # noqa: E402


def main(argv=None):
    parser = OneLineErrorParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='a TeacherStudentDistillation '
                        'checkpoint (e.g. work_dir/epoch_10.pth)')
    parser.add_argument('out', help='where to write the student checkpoint')
    args = parser.parse_args(argv)
    if not osp.isfile(args.checkpoint):
        fail(f'checkpoint {args.checkpoint!r} does not exist')
    # gml.registry allow-lists mmengine's checkpoint classes for torch.load
    import gml.registry  # noqa: F401
    from gml.models.algorithms.distill.export import export_student
    try:
        n = export_student(args.checkpoint, args.out)
    except KeyError as e:
        fail(f'{args.checkpoint}: {e.args[0]}')
    print(f'wrote {n} student tensors to {args.out}')


if __name__ == '__main__':
    main()
