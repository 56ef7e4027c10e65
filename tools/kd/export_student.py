"""Export the student of a distillation checkpoint (teacher, connectors and
MEAL discriminators dropped) so it loads into the student's own config.

    python tools/kd/export_student.py DISTILL_CKPT OUT.pth
    python tools/test.py STUDENT_CONFIG OUT.pth
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from gml.apis.cli import OneLineErrorParser, fail  # noqa: E402
from gml.utils.errors import UserError, one_line  # noqa: E402


def main(argv=None):
    parser = OneLineErrorParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='a TeacherStudentDistillation '
                        'checkpoint (e.g. work_dir/epoch_10.pth)')
    parser.add_argument('out', help='where to write the student checkpoint')
    args = parser.parse_args(argv)
    try:
        from gml.utils.checkpoint import check_checkpoint_file
        check_checkpoint_file(args.checkpoint)
        # gml.registry allow-lists mmengine's checkpoint classes
        import gml.registry  # noqa: F401
        from gml.models.algorithms.distill.export import export_student
        n = export_student(args.checkpoint, args.out)
    except UserError as e:
        fail(f'{args.checkpoint}: {one_line(e)}')
    print(f'wrote {n} student tensors to {args.out}')


if __name__ == '__main__':
    main()
