; The lanchat installer for Windows (NSIS 3). Built by scripts/package.sh:
;   makensis -DVERSION=0.1.0 -DSTAGE=DIR -DOUTFILE=lanchat-0.1.0-setup.exe lanchat.nsi
; STAGE holds lanchat.exe, lanchat.ico, README.md, LICENSE-MIT and LICENSE-APACHE.
;
; Installs per machine (Program Files, Start menu for all users; needs an administrator),
; opens Windows Firewall for lanchat (inbound UDP on the private and domain profiles: the
; program itself, which covers the peer port, and the fixed ports 7117 for a coordinator and
; 5007 for discovery), and can start lanchat when anyone logs on.
; Optionally it registers the coordinator as a Windows service (lanchat-coordinator).
; Silent install for administrators: lanchat-VERSION-setup.exe /S [/AUTOSTART] [/SERVICE] [/NOFIREWALL]
; [/D=C:\path] ; silent uninstall: "C:\Program Files\lanchat\uninstall.exe" /S

; A 64-bit installer (lanchat is 64-bit only): no WOW64 redirection of Program Files or the
; registry.
Target amd64-unicode
!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "Sections.nsh"

!ifndef VERSION
  !error "pass -DVERSION=x.y.z"
!endif
!ifndef STAGE
  !error "pass -DSTAGE=folder with lanchat.exe"
!endif
!ifndef OUTFILE
  !define OUTFILE "lanchat-${VERSION}-setup.exe"
!endif

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\lanchat"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define DISCOVERY_PORT 5007
!define COORDINATOR_PORT 7117
!define SERVICE "lanchat-coordinator"

Name "lanchat ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\lanchat"
InstallDirRegKey HKLM "${UNINSTALL_KEY}" "InstallLocation"
RequestExecutionLevel admin
SetCompressor /SOLID lzma
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "lanchat"
VIAddVersionKey "FileDescription" "lanchat installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "the lanchat developers (MIT OR Apache-2.0)"

!define MUI_ICON "${STAGE}\lanchat.ico"
!define MUI_UNICON "${STAGE}\lanchat.ico"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\lanchat.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start lanchat now"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_LICENSE "${STAGE}\LICENSE-MIT"
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "lanchat (required)" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "${STAGE}\lanchat.exe"
  File "${STAGE}\lanchat.ico"
  File "${STAGE}\README.md"
  File "${STAGE}\LICENSE-MIT"
  File "${STAGE}\LICENSE-APACHE"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "lanchat"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "the lanchat developers"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\lanchat.ico"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

Section "Start menu shortcuts" SecStartMenu
  SetShellVarContext all
  CreateDirectory "$SMPROGRAMS\lanchat"
  CreateShortCut "$SMPROGRAMS\lanchat\lanchat.lnk" "$INSTDIR\lanchat.exe" "" "$INSTDIR\lanchat.ico"
  CreateShortCut "$SMPROGRAMS\lanchat\Uninstall lanchat.lnk" "$INSTDIR\uninstall.exe"
SectionEnd

Section "Windows Firewall rules (UDP ${COORDINATOR_PORT}, ${DISCOVERY_PORT}, file transfers)" SecFirewall
  ; Replace rather than duplicate on a reinstall.
  Call RemoveFirewallRules
  nsExec::ExecToLog 'netsh advfirewall firewall add rule name="lanchat" dir=in action=allow \
    program="$INSTDIR\lanchat.exe" protocol=UDP profile=domain,private \
    description="lanchat: QUIC from the coordinator and direct file transfers from peers"'
  Pop $0
  nsExec::ExecToLog 'netsh advfirewall firewall add rule name="lanchat discovery (UDP ${DISCOVERY_PORT})" \
    dir=in action=allow protocol=UDP localport=${DISCOVERY_PORT} profile=domain,private \
    description="lanchat: multicast discovery and presence (group 224.111.1.1)"'
  Pop $0
  nsExec::ExecToLog 'netsh advfirewall firewall add rule name="lanchat coordinator (UDP ${COORDINATOR_PORT})" \
    dir=in action=allow protocol=UDP localport=${COORDINATOR_PORT} profile=domain,private \
    description="lanchat: the office coordinator (QUIC)"'
  Pop $0
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "FirewallRules" 1
SectionEnd

Section /o "Start lanchat when anyone logs on" SecAutostart
  WriteRegStr HKLM "${RUN_KEY}" "lanchat" '"$INSTDIR\lanchat.exe"'
SectionEnd

Section /o "Coordinator service (this computer hosts the office's coordinator)" SecService
  ; Replace rather than duplicate on a reinstall; runs as LocalService (no privileges), data in
  ; that account's local profile. Its fingerprint: coordinator.txt in that data folder.
  Call StopService
  nsExec::ExecToLog 'sc.exe create ${SERVICE} start= auto obj= "NT AUTHORITY\LocalService" \
    DisplayName= "lanchat coordinator" binPath= "\"$INSTDIR\lanchat.exe\" coordinator --service"'
  Pop $0
  nsExec::ExecToLog 'sc.exe description ${SERVICE} "lanchat: the office coordinator (accounts, history, presence)"'
  Pop $0
  nsExec::ExecToLog 'sc.exe start ${SERVICE}'
  Pop $0
SectionEnd

LangString DESC_Main ${LANG_ENGLISH} "lanchat.exe: the desktop app, the terminal client (lanchat cli) and the coordinator (lanchat coordinator)."
LangString DESC_StartMenu ${LANG_ENGLISH} "A lanchat entry in the Start menu, for every user."
LangString DESC_Firewall ${LANG_ENGLISH} "Let lanchat receive on the private and domain networks: discovery (UDP ${DISCOVERY_PORT}), a coordinator (UDP ${COORDINATOR_PORT}) and file transfers from colleagues."
LangString DESC_Autostart ${LANG_ENGLISH} "Open lanchat when anyone logs on to this computer."
LangString DESC_Service ${LANG_ENGLISH} "Run the office's coordinator on this computer as a Windows service (one computer per office)."
!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecMain} $(DESC_Main)
  !insertmacro MUI_DESCRIPTION_TEXT ${SecStartMenu} $(DESC_StartMenu)
  !insertmacro MUI_DESCRIPTION_TEXT ${SecFirewall} $(DESC_Firewall)
  !insertmacro MUI_DESCRIPTION_TEXT ${SecAutostart} $(DESC_Autostart)
  !insertmacro MUI_DESCRIPTION_TEXT ${SecService} $(DESC_Service)
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Function .onInit
  SetRegView 64
  ; Options for silent installs: /AUTOSTART selects autostart, /SERVICE the coordinator
  ; service, /NOFIREWALL leaves the firewall alone.
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/AUTOSTART" $R1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SecAutostart}
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/SERVICE" $R1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SecService}
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/NOFIREWALL" $R1
  ${IfNot} ${Errors}
    !insertmacro UnselectSection ${SecFirewall}
  ${EndIf}
FunctionEnd

Function RemoveFirewallRules
  nsExec::ExecToLog 'netsh advfirewall firewall delete rule name="lanchat"'
  Pop $0
  nsExec::ExecToLog 'netsh advfirewall firewall delete rule name="lanchat discovery (UDP ${DISCOVERY_PORT})"'
  Pop $0
  nsExec::ExecToLog 'netsh advfirewall firewall delete rule name="lanchat coordinator (UDP ${COORDINATOR_PORT})"'
  Pop $0
FunctionEnd

!macro StopServiceBody
  nsExec::ExecToLog 'sc.exe stop ${SERVICE}'
  Pop $0
  Sleep 2000
  nsExec::ExecToLog 'sc.exe delete ${SERVICE}'
  Pop $0
!macroend
Function StopService
  !insertmacro StopServiceBody
FunctionEnd
Function un.StopService
  !insertmacro StopServiceBody
FunctionEnd

Function un.onInit
  SetRegView 64
FunctionEnd

Section "Uninstall"
  SetShellVarContext all
  Call un.StopService
  nsExec::ExecToLog 'netsh advfirewall firewall delete rule name="lanchat"'
  Pop $0
  nsExec::ExecToLog 'netsh advfirewall firewall delete rule name="lanchat discovery (UDP ${DISCOVERY_PORT})"'
  Pop $0
  nsExec::ExecToLog 'netsh advfirewall firewall delete rule name="lanchat coordinator (UDP ${COORDINATOR_PORT})"'
  Pop $0
  DeleteRegValue HKLM "${RUN_KEY}" "lanchat"
  Delete "$SMPROGRAMS\lanchat\lanchat.lnk"
  Delete "$SMPROGRAMS\lanchat\Uninstall lanchat.lnk"
  RMDir "$SMPROGRAMS\lanchat"
  Delete "$INSTDIR\lanchat.exe"
  Delete "$INSTDIR\lanchat.ico"
  Delete "$INSTDIR\README.md"
  Delete "$INSTDIR\LICENSE-MIT"
  Delete "$INSTDIR\LICENSE-APACHE"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  ; Chat data stays: %LOCALAPPDATA%\lanchat (and a coordinator's database) belong to the
  ; users and the office, not to the program.
SectionEnd
