// A dialog that is one form (cancelling or closing it is the same thing): most create and edit dialogs.
import { Form, type FormProps } from './Form.tsx';
import { Modal } from './Modal.tsx';

export type FormDialogProps = Omit<FormProps, 'onCancel' | 'testId'> & { title: string; testId: string; onClose: () => void };

export function FormDialog({ title, testId, onClose, ...form }: FormDialogProps) {
  return (
    <Modal title={title} onClose={onClose} testId={testId}>
      <Form {...form} onCancel={onClose} />
    </Modal>
  );
}
