; RadVal Desktop installer for Windows (Inno Setup 6).
; NOT RUN in this project: there is no Windows machine here. Build steps: README.md beside it.
; Input: the PyInstaller folder made on Windows from packaging\radval.spec.
;   iscc packaging\windows\radval.iss                        portable CPU build
;   iscc /DVariant=CUDA /DSourceDir=... packaging\windows\radval.iss   CUDA build

#define AppName "RadVal Desktop"
#define AppVersion "0.1.0"
#ifndef Variant
  #define Variant "portable CPU"
#endif
#ifndef SourceDir
  #define SourceDir "..\build\windows\dist\radval-desktop"
#endif

[Setup]
; Fixed forever: upgrades and uninstall find the installed copy by it.
AppId={{D50E6A36-C4E7-4B41-8A88-4D0FD028F6C5}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion} ({#Variant})
AppPublisher=RadVal Desktop maintainers
DefaultDirName={autopf}\RadVal Desktop
DefaultGroupName=RadVal Desktop
DisableProgramGroupPage=yes
; Per-machine: IT installs once for every user of the workstation.
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist
OutputBaseFilename=radval-desktop-{#AppVersion}-setup{#Variant == "CUDA" ? "-cuda" : ""}
SetupIconFile=radval.ico
UninstallDisplayIcon={app}\radval.exe
; The GGUF model is most of the bytes and does not compress: fast LZMA2, not solid.
Compression=lzma2/fast
SolidCompression=no

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
; IT's settings file, all commented out: never overwritten on upgrade, kept on uninstall.
Source: "..\linux\config.toml"; DestDir: "{commonappdata}\RadVal"; DestName: "config.toml"; Flags: onlyifdoesntexist uninsneveruninstall

[Icons]
Name: "{autoprograms}\RadVal Desktop"; Filename: "{app}\radval-window.exe"; WorkingDir: "{app}"
Name: "{autodesktop}\RadVal Desktop"; Filename: "{app}\radval-window.exe"; WorkingDir: "{app}"; Tasks: desktopicon
Name: "{autoprograms}\RadVal self-test"; Filename: "{cmd}"; Parameters: "/k ""{app}\radval.exe"" --self-test"; WorkingDir: "{app}"

[Registry]
; `radval` on PATH for IT's scripts (radval --self-test).
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{cmd}"; Parameters: "/k ""{app}\radval.exe"" --self-test"; Description: "Run the RadVal self-test now"; Flags: postinstall skipifsilent unchecked

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Paths: string;
begin
  if not RegQueryStringValue(HKLM, 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment', 'Path', Paths) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;
