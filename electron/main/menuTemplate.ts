/**
 * The one adapter from the pure menu model to Electron's menu template. It holds no rules:
 * labels and enabled flags come from `menuModel()`, clicks go to one `onAction` callback.
 * Only types come from `electron`, so this is testable without the Electron runtime.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuItemModel, TrayAction } from './menuModel.js';

export function menuTemplate(model: MenuItemModel[], onAction: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return model.map((item): MenuItemConstructorOptions => {
    switch (item.kind) {
      case 'separator':
        return { type: 'separator' };
      case 'status':
      case 'detail':
        // Informational lines are disabled items: macOS greys them, and they cannot be clicked.
        return { label: item.label, enabled: false };
      case 'action':
        return {
          label: item.label,
          enabled: item.enabled,
          click: () => onAction(item.action),
          ...(item.action === 'quit' ? { accelerator: 'CommandOrControl+Q' } : {}),
        };
    }
  });
}
