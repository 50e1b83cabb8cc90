import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  Textarea,
} from '@fluentui/react-components';
import { useState } from 'react';
import type { SavedChart, SavedQueryInfo, SavedQueryRequest } from '../../../server/api/types.ts';
import { patch, post } from '../api.ts';
import { ErrorBar } from '../components.tsx';
import { useAction } from '../useAction.ts';

/**
 * Saving the editor's SQL (and its chart) as a saved query, the kind Excel, Sheets and the API run by
 * name. An open saved query can be saved over, or saved as a new one under another name.
 */
export function SaveQueryDialog({
  saved,
  sql,
  connection,
  chart,
  onClose,
  onSaved,
}: {
  saved: SavedQueryInfo | undefined;
  sql: string;
  connection: number;
  chart: SavedChart | undefined;
  onClose: () => void;
  onSaved: (q: SavedQueryInfo) => void;
}) {
  const [name, setName] = useState(saved?.name ?? '');
  const [description, setDescription] = useState(saved?.description ?? '');
  const action = useAction();
  const body: SavedQueryRequest = {
    name: name.trim(),
    description,
    sql,
    connectionId: connection,
    chart: chart ?? null,
  };
  const save = (asNew: boolean) =>
    action.run(async () =>
      onSaved(
        saved && !asNew
          ? await patch<SavedQueryInfo>(`/api/v1/queries/${saved.id}`, body)
          : await post<SavedQueryInfo>('/api/v1/queries', body),
      ),
    );
  return (
    <Dialog open onOpenChange={(_e, d) => (d.open ? undefined : onClose())}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>{saved ? `Save “${saved.name}”` : 'Save the query'}</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
            <Field label="Name" required hint="Excel, Google Sheets and the API find it by this name.">
              <Input value={name} onChange={(_e, d) => setName(d.value)} maxLength={200} />
            </Field>
            <Field label="Description">
              <Textarea value={description} onChange={(_e, d) => setDescription(d.value)} maxLength={2000} />
            </Field>
            {action.error ? <ErrorBar error={action.error} title="Not saved" /> : null}
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>Cancel</Button>
            {saved ? (
              <Button
                disabled={!name.trim() || action.busy || name.trim() === saved.name}
                onClick={() => void save(true)}
              >
                Save as new
              </Button>
            ) : null}
            <Button appearance="primary" disabled={!name.trim() || action.busy} onClick={() => void save(false)}>
              Save
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
