/**
 * The one adapter from the pure menu model to Electron's menu template. It holds no rules:
 * labels and enabled flags come from `menuModel()`, clicks go to `onAction` (or `onPrebuild`
 * with the exact repository id and branch name the model carried).
 * Only types come from `electron`, so this is testable without the Electron runtime.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuItemModel, TrayAction } from './menuModel.js';

/**
 * Electron (through Chromium's menu code, on macOS too) reads `&` as a mnemonic marker and drops
 * it; labels carry data such as branch names, so every `&` is doubled to show as itself.
 */
export function menuLabel(text: string): string {
  return text.replace(/&/g, '&&');
}

export function menuTemplate(
  model: MenuItemModel[],
  onAction: (action: TrayAction) => void,
  onPrebuild: (repoId: string, branch: string) => void = () => undefined,
): MenuItemConstructorOptions[] {
  return model.map((item): MenuItemConstructorOptions => {
    switch (item.kind) {
      case 'separator':
        return { type: 'separator' };
      case 'status':
      case 'detail':
        // Informational lines are disabled items: macOS greys them, and they cannot be clicked.
        return { label: menuLabel(item.label), enabled: false };
      case 'submenu':
        return { label: menuLabel(item.label), submenu: menuTemplate(item.items, onAction, onPrebuild) };
      case 'toggle':
        return { label: menuLabel(item.label), type: 'checkbox', checked: item.checked, click: () => onAction(item.action) };
      case 'prebuild':
        return { label: menuLabel(item.label), click: () => onPrebuild(item.repoId, item.branch) };
      case 'action':
        return {
          label: menuLabel(item.label),
          enabled: item.enabled,
          click: () => onAction(item.action),
          ...(item.action === 'quit' ? { accelerator: 'CommandOrControl+Q' } : {}),
        };
    }
  });
}
