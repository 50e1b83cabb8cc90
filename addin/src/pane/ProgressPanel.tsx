import { Button, ProgressBar, Text } from '@fluentui/react-components';

export type Progress = { done: number; total: number };

/** Rows written so far of all, with Cancel (the write stops at its next chunk). */
export function ProgressPanel({ progress, onCancel }: { progress: Progress; onCancel: () => void }) {
  return (
    <div data-progress>
      <ProgressBar value={progress.total ? progress.done / progress.total : 0} />
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
        <Text size={200}>
          {progress.done.toLocaleString()} of {progress.total.toLocaleString()} rows
        </Text>
        <Button size="small" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </div>
  );
}
