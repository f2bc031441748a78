/**
 * The menu-bar icon: Electron glue only. What the icon shows, whether it animates, what a
 * click does and what the menu contains are decided by the pure functions in trayIcon.ts and
 * menuModel.ts; this class applies them to an Electron `Tray` whenever the status changes.
 *
 * The tray is fed by core events from the main process, never by a window, so it stays current
 * while no window is open (a bug users reported against Rancher Desktop's tray).
 */
import { Menu, Tray, nativeImage, type NativeImage } from 'electron';
import type { RepoBaselines, Settings, Status, VmState } from '../ipc/contract.js';
import { menuModel, type TrayAction } from './menuModel.js';
import { trayTitle } from './buildActivity.js';
import { menuTemplate } from './menuTemplate.js';
import {
  STARTING_FRAME_INTERVAL_MS,
  shouldAnimate,
  trayClickAction,
  trayIconPath,
  trayMenuAttachment,
  trayTooltip,
} from './trayIcon.js';

export interface TrayControllerOptions {
  iconsDir: string;
  platform: NodeJS.Platform;
  initialStatus: Status;
  initialSettings: Settings;
  /** Offer "Install Command Line Tool…" (a packaged Mac app only). */
  offerCliInstall?: boolean;
  onAction: (action: TrayAction) => void;
  /** Prebuild from the Baselines submenu: the repository id and the exact branch name. */
  onPrebuild: (repoId: string, branch: string) => void;
}

export class TrayController {
  private readonly tray: Tray;
  private readonly images = new Map<string, NativeImage>();
  private status: Status;
  private settings: Settings;
  private baselines: readonly RepoBaselines[] = [];
  private menu: Menu;
  private frame = 0;
  private animation: NodeJS.Timeout | null = null;
  private destroyed = false;
  /** Rebuilds the menu each minute while "idle, stops in N min" counts down. */
  private countdown: NodeJS.Timeout | null = null;

  constructor(private readonly options: TrayControllerOptions) {
    this.status = options.initialStatus;
    this.settings = options.initialSettings;
    this.tray = new Tray(this.image(this.status.state, 0));
    this.menu = this.buildMenu();
    if (trayMenuAttachment(options.platform) === 'context-menu') {
      this.tray.setContextMenu(this.menu);
    } else {
      this.tray.on('click', () => this.onClick());
      this.tray.on('right-click', () => this.tray.popUpContextMenu(this.menu));
    }
    this.apply();
  }

  get state(): VmState {
    return this.status.state;
  }

  /** The labels of the menu as built right now (for the e2e test hook). */
  menuLabels(): string[] {
    return this.menu.items.map((item) => item.label);
  }

  updateStatus(status: Status): void {
    this.status = status;
    this.apply();
  }

  updateSettings(settings: Settings): void {
    this.settings = settings;
    this.apply();
  }

  updateBaselines(repos: readonly RepoBaselines[]): void {
    this.baselines = repos;
    this.apply();
  }

  /** The number of running builds, shown beside the icon (macOS shows a tray title). */
  updateRunningBuilds(count: number): void {
    if (!this.destroyed) this.tray.setTitle(trayTitle(count));
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.stopAnimation();
    if (this.countdown !== null) clearInterval(this.countdown);
    this.tray.destroy();
  }

  private onClick(): void {
    if (trayClickAction(this.status.state) === 'start') {
      this.options.onAction('start');
    } else {
      this.tray.popUpContextMenu(this.menu);
    }
  }

  private apply(): void {
    if (this.destroyed) return;
    const counting = this.status.state === 'ready' && (this.status.onDemand?.idleStopsAt ?? null) !== null;
    if (counting && this.countdown === null) this.countdown = setInterval(() => this.apply(), 60_000);
    if (!counting && this.countdown !== null) {
      clearInterval(this.countdown);
      this.countdown = null;
    }
    this.menu = this.buildMenu();
    if (trayMenuAttachment(this.options.platform) === 'context-menu') this.tray.setContextMenu(this.menu);
    this.tray.setToolTip(trayTooltip(this.status));
    if (shouldAnimate(this.status.state)) {
      this.startAnimation();
    } else {
      this.stopAnimation();
      this.tray.setImage(this.image(this.status.state, 0));
    }
  }

  private buildMenu(): Menu {
    return Menu.buildFromTemplate(
      menuTemplate(menuModel(this.status, this.settings, this.baselines, { installCli: this.options.offerCliInstall ?? false }), this.options.onAction, this.options.onPrebuild),
    );
  }

  private startAnimation(): void {
    if (this.animation !== null) return;
    this.frame = 0;
    this.tray.setImage(this.image('starting', 0));
    this.animation = setInterval(() => {
      this.frame += 1;
      this.tray.setImage(this.image('starting', this.frame));
    }, STARTING_FRAME_INTERVAL_MS);
  }

  private stopAnimation(): void {
    if (this.animation === null) return;
    clearInterval(this.animation);
    this.animation = null;
  }

  /** Images are read once and kept: the animation must not hit the disk four times a second. */
  private image(state: VmState, frame: number): NativeImage {
    const file = trayIconPath(this.options.iconsDir, state, frame);
    let image = this.images.get(file);
    if (image === undefined) {
      image = nativeImage.createFromPath(file);
      // The file name already says "Template"; stating it keeps the intent if a name changes.
      image.setTemplateImage(true);
      this.images.set(file, image);
    }
    return image;
  }
}
